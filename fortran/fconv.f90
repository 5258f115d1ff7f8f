! fconv.f90 — Fortran 2003 bindings (ISO_C_BINDING) for the fconv C API (include/fconv.h).
!
! Shapes are given in C order (last axis fastest), exactly as in C. A Fortran array A(n1, n2)
! (column-major, first index fastest) is the C array of shape [n2, n1]: pass
! signal_shape = [n2, n1]. Arrays are passed by address (c_loc or a contiguous array actual
! argument to a TYPE(*) dummy), enum values are the C enum values below.
module fconv
  use, intrinsic :: iso_c_binding
  implicit none
  private

  integer, parameter, public :: FCONV_MAX_RANK = 3
  ! fconv_status
  integer(c_int), parameter, public :: FCONV_OK = 0, FCONV_ERR_INVALID_ARGUMENT = 1, &
    FCONV_ERR_UNSUPPORTED = 2, FCONV_ERR_OUT_OF_MEMORY = 3, FCONV_ERR_NO_DEVICE = 4, &
    FCONV_ERR_CUDA = 5, FCONV_ERR_FFT = 6, FCONV_ERR_INTERNAL = 7
  ! fconv_dtype
  integer(c_int), parameter, public :: FCONV_F32 = 0, FCONV_F64 = 1, FCONV_C64 = 2, &
    FCONV_C128 = 3
  ! fconv_mode
  integer(c_int), parameter, public :: FCONV_MODE_FULL = 0, FCONV_MODE_SAME = 1, &
    FCONV_MODE_VALID = 2, FCONV_MODE_PAD = 3
  ! fconv_op
  integer(c_int), parameter, public :: FCONV_OP_CONVOLVE = 0, FCONV_OP_CORRELATE = 1
  ! fconv_boundary
  integer(c_int), parameter, public :: FCONV_BOUNDARY_ZERO = 0, FCONV_BOUNDARY_WRAP = 1, &
    FCONV_BOUNDARY_SYMMETRIC = 2, FCONV_BOUNDARY_MIRROR = 3, FCONV_BOUNDARY_REPLICATE = 4
  ! fconv_method, fconv_backend
  integer(c_int), parameter, public :: FCONV_METHOD_AUTO = 0, FCONV_METHOD_DIRECT = 1, &
    FCONV_METHOD_FFT = 2, FCONV_METHOD_OVERLAP_SAVE = 3
  integer(c_int), parameter, public :: FCONV_BACKEND_AUTO = 0, FCONV_BACKEND_CPU = 1, &
    FCONV_BACKEND_CUDA = 2
  ! flags
  integer(c_int), parameter, public :: FCONV_FLAG_MEASURE = 1, FCONV_FLAG_DEVICE_POINTERS = 2, &
    FCONV_FLAG_NO_SEPARABLE = 4, FCONV_FLAG_ACCURATE = 8

  ! struct fconv_desc, field for field
  type, bind(c), public :: fconv_desc
    integer(c_int) :: rank
    integer(c_size_t) :: signal_shape(FCONV_MAX_RANK)
    integer(c_size_t) :: kernel_shape(FCONV_MAX_RANK)
    integer(c_size_t) :: batch
    integer(c_size_t) :: kernel_batch
    integer(c_int) :: dtype
    integer(c_int) :: mode
    integer(c_int) :: op
    integer(c_int) :: boundary
    integer(c_size_t) :: stride(FCONV_MAX_RANK)
    integer(c_size_t) :: pad_before(FCONV_MAX_RANK)
    integer(c_size_t) :: pad_after(FCONV_MAX_RANK)
    integer(c_int) :: method
    integer(c_int) :: backend
    integer(c_int) :: threads
    integer(c_int) :: flags
  end type fconv_desc

  public :: fconv_desc_init, fconv_plan_create, fconv_plan_output_shape, fconv_plan_set_kernel
  public :: fconv_execute, fconv_plan_destroy, fconv_convolve, fconv_status_message
  public :: fconv_version_number, fconv_cuda_device_count

  interface
    subroutine fconv_desc_init(d, rank, signal_shape, kernel_shape, dtype) &
        bind(c, name="fconv_desc_init")
      import :: c_int, c_size_t, fconv_desc
      type(fconv_desc), intent(out) :: d
      integer(c_int), value :: rank
      integer(c_size_t), intent(in) :: signal_shape(*), kernel_shape(*)
      integer(c_int), value :: dtype
    end subroutine
    function fconv_plan_create(plan, d) result(st) bind(c, name="fconv_plan_create")
      import :: c_int, c_ptr, fconv_desc
      type(c_ptr), intent(out) :: plan
      type(fconv_desc), intent(in) :: d
      integer(c_int) :: st
    end function
    function fconv_plan_output_shape(plan, shape) result(st) &
        bind(c, name="fconv_plan_output_shape")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: plan
      integer(c_size_t), intent(out) :: shape(*)
      integer(c_int) :: st
    end function
    function fconv_plan_set_kernel(plan, kernel) result(st) bind(c, name="fconv_plan_set_kernel")
      import :: c_int, c_ptr
      type(c_ptr), value :: plan
      type(c_ptr), value :: kernel
      integer(c_int) :: st
    end function
    function fconv_execute(plan, signal, kernel, out) result(st) bind(c, name="fconv_execute")
      import :: c_int, c_ptr
      type(c_ptr), value :: plan, signal, kernel, out
      integer(c_int) :: st
    end function
    subroutine fconv_plan_destroy(plan) bind(c, name="fconv_plan_destroy")
      import :: c_ptr
      type(c_ptr), value :: plan
    end subroutine
    function fconv_convolve(d, signal, kernel, out) result(st) bind(c, name="fconv_convolve")
      import :: c_int, c_ptr, fconv_desc
      type(fconv_desc), intent(in) :: d
      type(c_ptr), value :: signal, kernel, out
      integer(c_int) :: st
    end function
    function fconv_version_number() result(v) bind(c, name="fconv_version_number")
      import :: c_int
      integer(c_int) :: v
    end function
    function fconv_cuda_device_count() result(n) bind(c, name="fconv_cuda_device_count")
      import :: c_int
      integer(c_int) :: n
    end function
    function c_fconv_status_string(s) result(p) bind(c, name="fconv_status_string")
      import :: c_int, c_ptr
      integer(c_int), value :: s
      type(c_ptr) :: p
    end function
  end interface

contains

  ! fconv_status_message: fconv_status_string as a Fortran string.
  function fconv_status_message(s) result(msg)
    integer(c_int), intent(in) :: s
    character(len=:), allocatable :: msg
    character(kind=c_char), pointer :: chars(:)
    interface
      function c_strlen(p) result(n) bind(c, name="strlen")
        import :: c_ptr, c_size_t
        type(c_ptr), value :: p
        integer(c_size_t) :: n
      end function
    end interface
    type(c_ptr) :: p
    integer :: i, n
    p = c_fconv_status_string(s)
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate (character(len=n) :: msg)
    do i = 1, n
      msg(i:i) = chars(i)
    end do
  end function
end module fconv
