! A consumer of the installed fconv (Fortran only, module fconv from libfconv_fortran): the SciPy
! golden convolve([3,4,5,6,5,4], [1,2,3]) = [3,10,22,28,32,32,23,12] with arrays, no c_loc.
program consumer_fortran
  use fconv
  use, intrinsic :: iso_c_binding
  implicit none
  real(c_double) :: x(6) = [3, 4, 5, 6, 5, 4], h(3) = [1, 2, 3], y(8)
  real(c_double), parameter :: want(8) = [3, 10, 22, 28, 32, 32, 23, 12]
  type(fconv_desc) :: d
  integer(c_int) :: st
  call fconv_desc_init(d, 1_c_int, [6_c_size_t], [3_c_size_t], FCONV_F64)
  st = fconv_convolve_arrays(d, x, h, y)
  if (st /= FCONV_OK) then
    print '(2a)', 'fortran consumer: ', fconv_status_message(st)
    error stop 1
  end if
  if (any(abs(y - want) > 1e-9_c_double)) then
    print *, 'fortran consumer: wrong result ', y
    error stop 1
  end if
  print '(2a)', 'fortran consumer ok: fconv ', fconv_version_string()
end program consumer_fortran
