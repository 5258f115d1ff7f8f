! The Fortran binding (module fconv): the SciPy golden convolve([3,4,5,6,5,4],[1,2,3]) =
! [3,10,22,28,32,32,23,12] through the C-pointer and the array calls, a 2-D column-major case,
! array sections (copied in and out), the structs' layout against C's, plan_get_info, the name
! and version functions, the CUDA controls on a CPU plan, a bad-input status, and a two-input
! stream block by block against the direct sum (reset, set_responses, info, bad input), and
! FFTW wisdom through strings and files.
! Exits non-zero on any mismatch.
program test_fortran
  use, intrinsic :: iso_c_binding
  use fconv
  implicit none
  interface
    subroutine fconv_test_layout(v) bind(c) ! sizes and offsets (test_layout.c)
      import :: c_size_t
      integer(c_size_t), intent(out) :: v(8)
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
  call check_stream()
  call check_wisdom()

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
    type(fconv_stream_desc), target :: sd
    type(fconv_stream_info), target :: si
    integer(c_intptr_t) :: base
    integer(c_size_t) :: c(8)
    call fconv_test_layout(c)
    call expect(c_sizeof(sd) == c(5), 'fconv_stream_desc size')
    base = transfer(c_loc(sd), base)
    call expect(transfer(c_loc(sd%flags), base) - base == c(6), 'fconv_stream_desc%flags offset')
    call expect(c_sizeof(si) == c(7), 'fconv_stream_info size')
    base = transfer(c_loc(si), base)
    call expect(transfer(c_loc(si%backend), base) - base == c(8), &
                'fconv_stream_info%backend offset')
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

  ! A stream of two inputs into one output (responses of 37 and 5 taps), 12 blocks of 16
  ! against the direct sum; info; reset; swapped responses; a block of 0 is rejected.
  subroutine check_stream()
    integer, parameter :: nb = 16, nblk = 12, n = nb * nblk
    real(c_double), target :: h1(37), h2(5), xin(nb, 2), yout(nb), sig(n, 2), ref(n), ref2(n)
    type(c_ptr), target :: rp(2), rp2(2)
    integer(c_size_t), target :: rl(2), rl2(2)
    type(fconv_stream_desc) :: sd
    type(fconv_stream_info) :: si
    type(c_ptr) :: s
    integer(c_int) :: st
    integer :: i, b, m
    do i = 1, 37
      h1(i) = sin(real(i, c_double))
    end do
    h2 = [1, -2, 3, -4, 5]
    do i = 1, n
      sig(i, 1) = cos(0.1_c_double * i)
      sig(i, 2) = real(mod(i, 7) - 3, c_double)
    end do
    ref = 0
    ref2 = 0
    do i = 1, n
      do m = 1, min(i, 37)
        ref(i) = ref(i) + h1(m) * sig(i - m + 1, 1)
        ref2(i) = ref2(i) + h1(m) * sig(i - m + 1, 2)
      end do
      do m = 1, min(i, 5)
        ref(i) = ref(i) + h2(m) * sig(i - m + 1, 2)
        ref2(i) = ref2(i) + h2(m) * sig(i - m + 1, 1)
      end do
    end do
    rp = [c_loc(h1), c_loc(h2)]
    rl = [37_c_size_t, 5_c_size_t]
    call fconv_stream_desc_init(sd, int(nb, c_size_t), 2_c_size_t, 1_c_size_t, FCONV_F64)
    sd%responses = c_loc(rp)
    sd%response_lengths = c_loc(rl)
    sd%backend = FCONV_BACKEND_CPU
    st = fconv_stream_create(s, sd)
    call expect(st == FCONV_OK, 'stream_create: ' // fconv_status_message(st))
    if (st /= FCONV_OK) return
    do b = 0, nblk - 1
      xin = sig(b * nb + 1:(b + 1) * nb, :)
      if (mod(b, 2) == 0) then
        st = fconv_stream_process(s, c_loc(xin), c_loc(yout))
      else
        st = fconv_stream_process_arrays(s, xin, yout)
      end if
      call expect(st == FCONV_OK .and. &
                  all(abs(yout - ref(b * nb + 1:(b + 1) * nb)) < 1e-9_c_double), &
                  'stream block against the direct sum')
    end do
    st = fconv_stream_get_info(s, si)
    call expect(st == FCONV_OK .and. si%block == nb .and. si%latency == 0 .and. &
                si%partitions >= 1 .and. si%levels >= 1 .and. si%backend == FCONV_BACKEND_CPU, &
                'stream_get_info')
    ! reset, then the responses swapped between the inputs (set_responses)
    st = fconv_stream_reset(s)
    call expect(st == FCONV_OK, 'stream_reset')
    rp2 = [c_loc(h2), c_loc(h1)]
    rl2 = [5_c_size_t, 37_c_size_t]
    st = fconv_stream_set_responses(s, rp2, rl2, 0_c_size_t)
    call expect(st == FCONV_OK, 'stream_set_responses: ' // fconv_status_message(st))
    do b = 0, 2
      xin = sig(b * nb + 1:(b + 1) * nb, :)
      st = fconv_stream_process_arrays(s, xin, yout)
      call expect(st == FCONV_OK .and. &
                  all(abs(yout - ref2(b * nb + 1:(b + 1) * nb)) < 1e-9_c_double), &
                  'stream after reset and set_responses')
    end do
    call fconv_stream_destroy(s)
    call fconv_stream_desc_init(sd, 0_c_size_t, 2_c_size_t, 1_c_size_t, FCONV_F64)
    sd%responses = c_loc(rp)
    sd%response_lengths = c_loc(rl)
    call expect(fconv_stream_create(s, sd) == FCONV_ERR_INVALID_ARGUMENT, 'stream block 0')
  end subroutine

  ! Wisdom: a MEASURE plan's wisdom exported as a string and to a file, forgotten, imported
  ! back; text that is not wisdom is rejected.
  subroutine check_wisdom()
    type(fconv_desc) :: dd
    type(c_ptr) :: p
    character(len=:), allocatable :: w, w2
    integer(c_int) :: s
    integer :: u, ios
    dd = d1()
    dd%backend = FCONV_BACKEND_CPU
    dd%method = FCONV_METHOD_FFT
    dd%flags = FCONV_FLAG_MEASURE
    s = fconv_plan_create(p, dd)
    call expect(s == FCONV_OK, 'MEASURE plan for wisdom')
    call fconv_plan_destroy(p)
    s = fconv_wisdom_export_string(w)
    call expect(s == FCONV_OK .and. len(w) > 0, 'wisdom_export_string')
    s = fconv_wisdom_export_file('fconv_fortran_test.wisdom')
    call expect(s == FCONV_OK, 'wisdom_export_file')
    call fconv_wisdom_forget()
    s = fconv_wisdom_export_string(w2)
    call expect(s == FCONV_OK .and. len(w2) < len(w), 'wisdom_forget drops the plans')
    s = fconv_wisdom_import_string(w)
    call expect(s == FCONV_OK, 'wisdom_import_string: ' // fconv_last_error())
    s = fconv_wisdom_export_string(w2)
    ! the same entries back (FFTW may list them in another order)
    call expect(s == FCONV_OK .and. len(w2) == len(w), 'wisdom after forget + import')
    call fconv_wisdom_forget()
    s = fconv_wisdom_import_file('fconv_fortran_test.wisdom')
    call expect(s == FCONV_OK, 'wisdom_import_file: ' // fconv_last_error())
    s = fconv_wisdom_export_string(w2)
    call expect(s == FCONV_OK .and. len(w2) == len(w), 'wisdom after import_file')
    call expect(fconv_wisdom_import_string('not wisdom') == FCONV_ERR_INVALID_ARGUMENT, &
                'wisdom_import_string of garbage')
    call expect(fconv_wisdom_import_file('/nonexistent/dir/w') == FCONV_ERR_INVALID_ARGUMENT, &
                'wisdom_import_file of a missing file')
    open (newunit=u, file='fconv_fortran_test.wisdom', status='old', iostat=ios)
    if (ios == 0) close (u, status='delete')
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
