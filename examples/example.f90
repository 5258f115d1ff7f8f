! 2-D 'same' convolution of a 512x512 image with a 5x5 box blur, mirror boundary, from Fortran.
program example
  use fconv
  use, intrinsic :: iso_c_binding
  implicit none
  real(c_float), allocatable :: x(:, :), y(:, :)
  real(c_float) :: h(5, 5)
  type(fconv_desc) :: d
  type(fconv_plan_info) :: info
  type(c_ptr) :: plan
  integer(c_int) :: st
  integer :: i, j

  allocate (x(512, 512), y(512, 512))
  do j = 1, 512
    do i = 1, 512
      x(i, j) = real(mod((i - 1) + 512 * (j - 1), 7), c_float) ! the C example's x, element by element
    end do
  end do
  h = 1.0_c_float / 25

  ! Shapes in C order: a Fortran array a(n1, n2) is the C array [n2][n1].
  call fconv_desc_init(d, 2_c_int, [512_c_size_t, 512_c_size_t], [5_c_size_t, 5_c_size_t], FCONV_F32)
  d%mode = FCONV_MODE_SAME
  d%boundary = FCONV_BOUNDARY_MIRROR

  st = fconv_plan_create(plan, d)                              ! validates, chooses, plans
  if (st == FCONV_OK) st = fconv_plan_set_kernel_array(plan, h) ! copied; spectrum cached
  if (st == FCONV_OK) st = fconv_execute_arrays(plan, x, out=y) ! arrays, no c_loc
  if (st == FCONV_OK) st = fconv_plan_get_info(plan, info)
  if (st /= FCONV_OK) then
    print '(a)', 'fconv: ' // fconv_status_message(st)
    call fconv_plan_destroy(plan)
    error stop 1
  end if
  print '(a, g0.3, 4a)', 'y(1, 1) = ', y(1, 1), ', method ', fconv_method_name(info%method), &
    ' on ', fconv_backend_name(info%backend)
  call fconv_plan_destroy(plan)
end program example
