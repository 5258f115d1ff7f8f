! Runs the SciPy golden convolve([3,4,5,6,5,4],[1,2,3]) = [3,10,22,28,32,32,23,12] from Fortran,
! a 2-D column-major case, and a bad-input status. Exits non-zero on any mismatch.
program test_fortran
  use, intrinsic :: iso_c_binding
  use fconv
  implicit none
  type(fconv_desc) :: d
  type(c_ptr) :: plan
  real(c_double), target :: x(6) = [3, 4, 5, 6, 5, 4], h(3) = [1, 2, 3], y(8)
  real(c_double), parameter :: want(8) = [3, 10, 22, 28, 32, 32, 23, 12]
  real(c_float), target :: a(4, 3), k2(2, 1), b(5, 3)
  integer(c_size_t) :: oshape(3)
  integer(c_int) :: st
  integer :: i, j, fails

  fails = 0
  call fconv_desc_init(d, 1_c_int, [6_c_size_t], [3_c_size_t], FCONV_F64)
  st = fconv_convolve(d, c_loc(x), c_loc(h), c_loc(y))
  if (st /= FCONV_OK) then
    print *, 'convolve failed: ', fconv_status_message(st)
    fails = fails + 1
  end if
  do i = 1, 8
    if (abs(y(i) - want(i)) > 1e-12_c_double) fails = fails + 1
  end do

  ! a(4,3) column-major is the C array [3][4]; a 1x2 kernel along Fortran's first index is the
  ! C kernel [1][2] along the last (fastest) axis: b(i,j) = a(i,j) + 10*a(i-1,j).
  do j = 1, 3
    do i = 1, 4
      a(i, j) = real(i + 4 * j, c_float)
    end do
  end do
  k2(:, 1) = [1.0, 10.0]
  call fconv_desc_init(d, 2_c_int, [3_c_size_t, 4_c_size_t], [1_c_size_t, 2_c_size_t], FCONV_F32)
  st = fconv_plan_create(plan, d)
  if (st == FCONV_OK) st = fconv_plan_output_shape(plan, oshape)
  if (st == FCONV_OK) st = fconv_plan_set_kernel(plan, c_loc(k2))
  if (st == FCONV_OK) st = fconv_execute(plan, c_loc(a), c_null_ptr, c_loc(b))
  call fconv_plan_destroy(plan)
  if (st /= FCONV_OK .or. oshape(1) /= 3 .or. oshape(2) /= 5) then
    print *, '2-D failed: ', fconv_status_message(st), oshape
    fails = fails + 1
  end if
  do j = 1, 3
    do i = 1, 5
      if (abs(b(i, j) - (merge(a(min(i, 4), j), 0.0, i <= 4) + &
                         10 * merge(a(max(i - 1, 1), j), 0.0, i >= 2))) > 1e-4) fails = fails + 1
    end do
  end do

  d%rank = 7
  st = fconv_plan_create(plan, d)
  if (st /= FCONV_ERR_INVALID_ARGUMENT) fails = fails + 1
  if (len(fconv_status_message(st)) == 0) fails = fails + 1

  if (fails /= 0) then
    print *, 'FAILED checks: ', fails
    error stop 1
  end if
  print *, 'fortran bindings ok'
end program test_fortran
