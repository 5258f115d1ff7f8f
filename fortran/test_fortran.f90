! The Fortran binding (module fconv): the SciPy golden convolve([3,4,5,6,5,4],[1,2,3]) =
! [3,10,22,28,32,32,23,12] through the C-pointer and the array calls, a 2-D column-major case,
! array sections (copied in and out), the structs' layout against C's, plan_get_info, the name
! and version functions, the CUDA controls on a CPU plan, and a bad-input status.
! Exits non-zero on any mismatch.
program test_fortran
  use, intrinsic :: iso_c_binding
  use fconv
  implicit none
  interface
    subroutine fconv_test_layout(v) bind(c) ! sizeof desc, info; offsetof reason, workspace_bytes
      import :: c_size_t
      integer(c_size_t), intent(out) :: v(4)
    end subroutine
  end interface
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
  if (index(fconv_last_error(), 'fconv_plan_create: desc->rank = 7') /= 1) then
    print '(2a)', 'FAILED: last error: ', fconv_last_error()
    fails = fails + 1
  end if

  call check_layout()
  call check_arrays()
  call check_info_names_version()

  if (fails /= 0) then
    print *, 'FAILED checks: ', fails
    error stop 1
  end if
  print *, 'fortran bindings ok'

contains

  subroutine expect(cond, what)
    logical, intent(in) :: cond
    character(*), intent(in) :: what
    if (.not. cond) then
      print '(2a)', 'FAILED: ', what
      fails = fails + 1
    end if
  end subroutine

  ! The derived types have the C structs' sizes and field offsets.
  subroutine check_layout()
    type(fconv_desc) :: dd
    type(fconv_plan_info), target :: inf
    integer(c_intptr_t) :: base
    integer(c_size_t) :: c(4)
    call fconv_test_layout(c)
    call expect(c_sizeof(dd) == c(1), 'fconv_desc size')
    call expect(c_sizeof(inf) == c(2), 'fconv_plan_info size')
    base = transfer(c_loc(inf), base)
    call expect(transfer(c_loc(inf%reason), base) - base == c(3), 'fconv_plan_info%reason offset')
    call expect(transfer(c_loc(inf%workspace_bytes), base) - base == c(4), &
                'fconv_plan_info%workspace_bytes offset')
  end subroutine

  ! The array calls: no c_loc; sections with a step are copied in (signal) and out (out).
  subroutine check_arrays()
    real(c_double) :: ya(8), big(12), ys(16)
    type(c_ptr) :: p
    integer(c_int) :: s
    ya = -1
    s = fconv_convolve_arrays(d1(), x, h, ya)
    call expect(s == FCONV_OK .and. all(abs(ya - want) < 1e-12_c_double), 'convolve_arrays')
    ! signal = big(1:12:2) (= x), out = ys(2:16:2): both non-contiguous sections
    big = 0
    big(1:12:2) = x
    ys = 7
    s = fconv_plan_create(p, d1())
    if (s == FCONV_OK) s = fconv_plan_set_kernel_array(p, h)
    if (s == FCONV_OK) s = fconv_execute_arrays(p, big(1:12:2), out=ys(2:16:2))
    call expect(s == FCONV_OK, 'set_kernel_array + execute_arrays: ' // fconv_status_message(s))
    call expect(all(abs(ys(2:16:2) - want) < 1e-12_c_double), 'execute_arrays on sections')
    call expect(all(ys(1:15:2) == 7), 'execute_arrays wrote outside the section')
    ! the kernel given to the call instead of the one set
    ya = 0
    if (s == FCONV_OK) s = fconv_execute_arrays(p, x, 2 * h, ya)
    call expect(s == FCONV_OK .and. all(abs(ya - 2 * want) < 1e-12_c_double), &
                'execute_arrays with a kernel')
    call fconv_plan_destroy(p)
  end subroutine

  function d1() result(dd)
    type(fconv_desc) :: dd
    call fconv_desc_init(dd, 1_c_int, [6_c_size_t], [3_c_size_t], FCONV_F64)
  end function

  subroutine check_info_names_version()
    type(fconv_desc) :: dd
    type(fconv_plan_info) :: inf
    type(c_ptr) :: p
    integer(c_int) :: s, v
    integer(c_size_t) :: ws
    character(len=32) :: num
    dd = d1()
    dd%backend = FCONV_BACKEND_CPU
    dd%method = FCONV_METHOD_FFT
    s = fconv_plan_create(p, dd)
    call expect(s == FCONV_OK, 'create for info')
    s = fconv_plan_get_info(p, inf)
    call expect(s == FCONV_OK, 'plan_get_info')
    call expect(inf%backend == FCONV_BACKEND_CPU .and. inf%method == FCONV_METHOD_FFT, &
                'info backend/method')
    call expect(inf%rank == 1 .and. inf%output_shape(1) == 8 .and. inf%output_count == 1, &
                'info rank/output_shape/output_count')
    call expect(inf%transform_shape(1) >= 8, 'info transform_shape')
    call expect(len(fconv_string(inf%reason)) > 0, 'info reason')
    call expect(fconv_method_name(inf%method) == 'fft', 'method name of the info')
    ! CUDA controls on a CPU plan: workspace size answers, the rest is unsupported
    s = fconv_plan_workspace_size(p, ws)
    call expect(s == FCONV_OK, 'workspace_size')
    call expect(fconv_plan_set_workspace(p, c_null_ptr, 0_c_size_t) == FCONV_ERR_UNSUPPORTED, &
                'set_workspace on a CPU plan')
    call expect(fconv_plan_set_cuda_stream(p, c_null_ptr) == FCONV_ERR_UNSUPPORTED, &
                'set_cuda_stream on a CPU plan')
    call fconv_plan_destroy(p)
    call expect(fconv_cuda_device_count() >= 0, 'cuda_device_count')
    call expect(fconv_method_name(FCONV_METHOD_OVERLAP_SAVE) == 'overlap-save', 'method name')
    call expect(fconv_backend_name(FCONV_BACKEND_CUDA) == 'cuda', 'backend name')
    call expect(fconv_dtype_name(FCONV_C128) == 'c128', 'dtype name')
    call expect(fconv_dtype_name(99_c_int) == '?', 'out-of-range name')
    v = fconv_version_number()
    write (num, '(i0, ".", i0, ".", i0)') v / 10000, mod(v / 100, 100), mod(v, 100)
    call expect(index(fconv_version_string(), trim(num)) == 1, &
                'version string ' // fconv_version_string() // ' starts with ' // trim(num))
  end subroutine
end program test_fortran
