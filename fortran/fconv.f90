! fconv.f90 — the Fortran binding (ISO_C_BINDING, plus Fortran 2018's assumed-type/assumed-rank
! dummies) of the fconv C API (include/fconv.h). Installed compiled, as module `fconv` in the
! library libfconv_fortran (CMake: fconv::fconv_fortran; pkg-config: fconv-fortran).
!
! Shapes are given in C order (last axis fastest), exactly as in C. A Fortran array A(n1, n2)
! (column-major, first index fastest) is the C array of shape [n2, n1]: pass
! signal_shape = [n2, n1]. Enum values are the C enum values below.
!
! Arrays, two ways:
!  - fconv_execute_arrays, fconv_plan_set_kernel_array, fconv_convolve_arrays take the arrays
!    themselves (any type, any rank, also scalars: TYPE(*), DIMENSION(..)). A non-contiguous
!    actual argument (an array section with a step) is copied in, and out copied back, by the
!    compiler. The kernel of fconv_execute_arrays is optional: leave it out (out=y) to use the
!    one set with fconv_plan_set_kernel_array.
!  - fconv_execute, fconv_plan_set_kernel, fconv_convolve are the C functions as they are:
!    TYPE(C_PTR) addresses (c_loc(x), c_null_ptr, or CUDA device pointers with
!    FCONV_FLAG_DEVICE_POINTERS).
! Strings (status, names, version, the plan's reason and isa) come back as Fortran strings.
!
! Streams (fconv_stream_*, block-by-block filtering of endless multi-channel signals): the C
! functions with TYPE(C_PTR) handles and buffers, fconv_stream_process_arrays on arrays, and
! fconv_stream_desc / fconv_stream_info field for field. The description's responses are an
! array of TYPE(C_PTR) (c_loc of each response, row-major: output o, input i at o*inputs+i+1)
! and response_lengths an array of INTEGER(C_SIZE_T): set d%responses = c_loc(ptrs) and
! d%response_lengths = c_loc(lengths) (both arrays TARGET). A block of several channels is
! channel after channel: x(B, inputs) in Fortran order.
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
    FCONV_FLAG_NO_SEPARABLE = 4, FCONV_FLAG_ACCURATE = 8, FCONV_FLAG_EXTENDED = 16

  ! fconv_stream_partitioning, stream flags
  integer(c_int), parameter, public :: FCONV_STREAM_PARTITION_AUTO = 0, &
    FCONV_STREAM_PARTITION_UNIFORM = 1, FCONV_STREAM_PARTITION_NONUNIFORM = 2
  integer(c_int), parameter, public :: FCONV_STREAM_FLAG_EVEN_LOAD = 65536, &
    FCONV_STREAM_FLAG_WORKER = 131072

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
    ! extension (0.2): set only through fconv_desc_set_channels / fconv_desc_set_dilation
    integer(c_size_t) :: in_channels
    integer(c_size_t) :: out_channels
    integer(c_size_t) :: groups
    integer(c_size_t) :: dilation(FCONV_MAX_RANK)
  end type fconv_desc

  ! struct fconv_plan_info, field for field: what a plan chose and why
  type, bind(c), public :: fconv_plan_info
    integer(c_int) :: backend
    integer(c_int) :: method
    integer(c_int) :: rank
    integer(c_size_t) :: output_shape(FCONV_MAX_RANK)
    integer(c_size_t) :: output_count
    integer(c_size_t) :: transform_shape(FCONV_MAX_RANK)
    integer(c_size_t) :: block_shape(FCONV_MAX_RANK)
    integer(c_int) :: separable
    integer(c_int) :: swapped
    integer(c_int) :: measured
    integer(c_int) :: threads
    real(c_double) :: estimated_seconds
    real(c_double) :: candidate_seconds(0:3)  ! indexed by method, as in C
    integer(c_size_t) :: workspace_bytes
    character(kind=c_char) :: isa(16)         ! NUL-terminated: use fconv_string(info%isa)
    character(kind=c_char) :: reason(160)     ! NUL-terminated: use fconv_string(info%reason)
  end type fconv_plan_info

  ! struct fconv_stream_desc, field for field
  type, bind(c), public :: fconv_stream_desc
    integer(c_size_t) :: block
    integer(c_size_t) :: inputs, outputs
    integer(c_int) :: dtype
    type(c_ptr) :: responses         ! c_loc of an array of outputs*inputs TYPE(C_PTR)
    type(c_ptr) :: response_lengths  ! c_loc of an array of outputs*inputs INTEGER(C_SIZE_T)
    integer(c_size_t) :: max_response_length
    integer(c_int) :: partitioning
    integer(c_size_t) :: max_partition
    integer(c_int) :: backend
    integer(c_int) :: flags
  end type fconv_stream_desc

  ! struct fconv_stream_info, field for field: what a stream chose
  type, bind(c), public :: fconv_stream_info
    integer(c_size_t) :: block
    integer(c_size_t) :: latency
    integer(c_size_t) :: head_length
    integer(c_int) :: levels
    integer(c_size_t) :: partition_size(16)
    integer(c_size_t) :: partition_count(16)
    integer(c_size_t) :: partitions
    integer(c_size_t) :: transform_max
    integer(c_int) :: split_levels
    integer(c_size_t) :: memory_bytes
    real(c_double) :: cost_per_block
    real(c_double) :: cost_peak
    integer(c_int) :: backend
  end type fconv_stream_info

  public :: fconv_stream_desc_init, fconv_stream_create, fconv_stream_process
  public :: fconv_stream_process_arrays, fconv_stream_work, fconv_stream_reset
  public :: fconv_stream_set_responses, fconv_stream_get_info, fconv_stream_destroy
  public :: fconv_wisdom_export_string, fconv_wisdom_import_string, fconv_wisdom_export_file
  public :: fconv_wisdom_import_file, fconv_wisdom_forget
  public :: fconv_desc_set_channels, fconv_desc_set_dilation
  public :: fconv_desc_init, fconv_plan_create, fconv_plan_output_shape, fconv_plan_set_kernel
  public :: fconv_execute, fconv_plan_destroy, fconv_convolve, fconv_status_message
  public :: fconv_version_number, fconv_version_string, fconv_cuda_device_count
  public :: fconv_plan_get_info, fconv_method_name, fconv_backend_name, fconv_dtype_name
  public :: fconv_plan_set_cuda_stream, fconv_plan_workspace_size, fconv_plan_set_workspace
  public :: fconv_execute_arrays, fconv_plan_set_kernel_array, fconv_convolve_arrays
  public :: fconv_string, fconv_last_error

  interface
    subroutine fconv_desc_init(d, rank, signal_shape, kernel_shape, dtype) &
        bind(c, name="fconv_desc_init")
      import :: c_int, c_size_t, fconv_desc
      type(fconv_desc), intent(out) :: d
      integer(c_int), value :: rank
      integer(c_size_t), intent(in) :: signal_shape(*), kernel_shape(*)
      integer(c_int), value :: dtype
    end subroutine
    subroutine fconv_desc_set_channels(d, in_channels, out_channels, groups) &
        bind(c, name="fconv_desc_set_channels")
      import :: c_size_t, fconv_desc
      type(fconv_desc), intent(inout) :: d
      integer(c_size_t), value :: in_channels, out_channels, groups
    end subroutine
    subroutine fconv_desc_set_dilation(d, dilation) bind(c, name="fconv_desc_set_dilation")
      import :: c_size_t, fconv_desc
      type(fconv_desc), intent(inout) :: d
      integer(c_size_t), intent(in) :: dilation(*)
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
    function fconv_plan_get_info(plan, info) result(st) bind(c, name="fconv_plan_get_info")
      import :: c_int, c_ptr, fconv_plan_info
      type(c_ptr), value :: plan
      type(fconv_plan_info), intent(out) :: info
      integer(c_int) :: st
    end function
    function c_fconv_method_name(m) result(p) bind(c, name="fconv_method_name")
      import :: c_int, c_ptr
      integer(c_int), value :: m
      type(c_ptr) :: p
    end function
    function c_fconv_backend_name(b) result(p) bind(c, name="fconv_backend_name")
      import :: c_int, c_ptr
      integer(c_int), value :: b
      type(c_ptr) :: p
    end function
    function c_fconv_dtype_name(t) result(p) bind(c, name="fconv_dtype_name")
      import :: c_int, c_ptr
      integer(c_int), value :: t
      type(c_ptr) :: p
    end function
    function c_fconv_version_string() result(p) bind(c, name="fconv_version_string")
      import :: c_ptr
      type(c_ptr) :: p
    end function
    function fconv_plan_set_cuda_stream(plan, stream) result(st) &
        bind(c, name="fconv_plan_set_cuda_stream")
      import :: c_int, c_ptr
      type(c_ptr), value :: plan, stream   ! stream: a cudaStream_t (c_null_ptr: the plan's own)
      integer(c_int) :: st
    end function
    function fconv_plan_workspace_size(plan, bytes) result(st) &
        bind(c, name="fconv_plan_workspace_size")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: plan
      integer(c_size_t), intent(out) :: bytes
      integer(c_int) :: st
    end function
    function fconv_plan_set_workspace(plan, workspace, bytes) result(st) &
        bind(c, name="fconv_plan_set_workspace")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: plan, workspace   ! workspace: device memory (c_null_ptr: plan-owned)
      integer(c_size_t), value :: bytes
      integer(c_int) :: st
    end function
    function c_fconv_last_error() result(p) bind(c, name="fconv_last_error")
      import :: c_ptr
      type(c_ptr) :: p
    end function
    subroutine fconv_stream_desc_init(d, block, inputs, outputs, dtype) &
        bind(c, name="fconv_stream_desc_init")
      import :: c_int, c_size_t, fconv_stream_desc
      type(fconv_stream_desc), intent(out) :: d
      integer(c_size_t), value :: block, inputs, outputs
      integer(c_int), value :: dtype
    end subroutine
    function fconv_stream_create(stream, d) result(st) bind(c, name="fconv_stream_create")
      import :: c_int, c_ptr, fconv_stream_desc
      type(c_ptr), intent(out) :: stream
      type(fconv_stream_desc), intent(in) :: d
      integer(c_int) :: st
    end function
    function fconv_stream_process(stream, in, out) result(st) &
        bind(c, name="fconv_stream_process")
      import :: c_int, c_ptr
      type(c_ptr), value :: stream, in, out
      integer(c_int) :: st
    end function
    function fconv_stream_work(stream, units) result(st) bind(c, name="fconv_stream_work")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: stream
      integer(c_size_t), intent(out) :: units
      integer(c_int) :: st
    end function
    function fconv_stream_reset(stream) result(st) bind(c, name="fconv_stream_reset")
      import :: c_int, c_ptr
      type(c_ptr), value :: stream
      integer(c_int) :: st
    end function
    function fconv_stream_set_responses(stream, responses, response_lengths, crossfade) &
        result(st) bind(c, name="fconv_stream_set_responses")
      import :: c_int, c_ptr, c_size_t
      type(c_ptr), value :: stream
      type(c_ptr), intent(in) :: responses(*)       ! c_loc of each response
      integer(c_size_t), intent(in) :: response_lengths(*)
      integer(c_size_t), value :: crossfade
      integer(c_int) :: st
    end function
    function fconv_stream_get_info(stream, info) result(st) &
        bind(c, name="fconv_stream_get_info")
      import :: c_int, c_ptr, fconv_stream_info
      type(c_ptr), value :: stream
      type(fconv_stream_info), intent(out) :: info
      integer(c_int) :: st
    end function
    subroutine fconv_stream_destroy(stream) bind(c, name="fconv_stream_destroy")
      import :: c_ptr
      type(c_ptr), value :: stream
    end subroutine
    function c_fconv_wisdom_export_string(text) result(st) &
        bind(c, name="fconv_wisdom_export_string")
      import :: c_int, c_ptr
      type(c_ptr), intent(out) :: text
      integer(c_int) :: st
    end function
    function c_fconv_wisdom_import_string(text) result(st) &
        bind(c, name="fconv_wisdom_import_string")
      import :: c_int, c_char
      character(kind=c_char), intent(in) :: text(*)
      integer(c_int) :: st
    end function
    function c_fconv_wisdom_export_file(path) result(st) bind(c, name="fconv_wisdom_export_file")
      import :: c_int, c_char
      character(kind=c_char), intent(in) :: path(*)
      integer(c_int) :: st
    end function
    function c_fconv_wisdom_import_file(path) result(st) bind(c, name="fconv_wisdom_import_file")
      import :: c_int, c_char
      character(kind=c_char), intent(in) :: path(*)
      integer(c_int) :: st
    end function
    subroutine fconv_wisdom_forget() bind(c, name="fconv_wisdom_forget")
    end subroutine
    subroutine c_fconv_wisdom_free(text) bind(c, name="fconv_wisdom_free")
      import :: c_ptr
      type(c_ptr), value :: text
    end subroutine
    function c_strlen(p) result(n) bind(c, name="strlen")
      import :: c_ptr, c_size_t
      type(c_ptr), value :: p
      integer(c_size_t) :: n
    end function
  end interface

contains

  ! A NUL-terminated C string (static storage) as a Fortran string.
  function c_to_string(p) result(str)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: str
    character(kind=c_char), pointer :: chars(:)
    integer :: n
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    str = fconv_string(chars)
  end function

  ! fconv_string: a NUL-terminated character array (e.g. info%reason, info%isa) as a string.
  function fconv_string(chars) result(str)
    character(kind=c_char), intent(in) :: chars(:)
    character(len=:), allocatable :: str
    integer :: i, n
    n = size(chars)
    do i = 1, size(chars)
      if (chars(i) == c_null_char) then
        n = i - 1
        exit
      end if
    end do
    allocate (character(len=n) :: str)
    do i = 1, n
      str(i:i) = chars(i)
    end do
  end function

  ! fconv_status_message: fconv_status_string as a Fortran string.
  function fconv_status_message(s) result(msg)
    integer(c_int), intent(in) :: s
    character(len=:), allocatable :: msg
    msg = c_to_string(c_fconv_status_string(s))
  end function

  ! fconv_last_error: why this thread's most recent failed call failed ("function: field =
  ! value: reason"); read it right after the call that returned a status other than FCONV_OK.
  function fconv_last_error() result(str)
    character(len=:), allocatable :: str
    str = c_to_string(c_fconv_last_error())
  end function

  ! fconv_method_name, fconv_backend_name, fconv_dtype_name: the C functions' names
  ! as Fortran strings ("fft", "cpu", "f32", "?").
  function fconv_method_name(m) result(str)
    integer(c_int), intent(in) :: m
    character(len=:), allocatable :: str
    str = c_to_string(c_fconv_method_name(m))
  end function
  function fconv_backend_name(b) result(str)
    integer(c_int), intent(in) :: b
    character(len=:), allocatable :: str
    str = c_to_string(c_fconv_backend_name(b))
  end function
  function fconv_dtype_name(t) result(str)
    integer(c_int), intent(in) :: t
    character(len=:), allocatable :: str
    str = c_to_string(c_fconv_dtype_name(t))
  end function

  ! fconv_version_string: the C function's string as a Fortran string, e.g. "0.1.0 (cpu only)".
  function fconv_version_string() result(str)
    character(len=:), allocatable :: str
    str = c_to_string(c_fconv_version_string())
  end function

  ! fconv_execute_arrays(plan, signal, kernel, out): fconv_execute on arrays (any type and rank,
  ! element counts as in C). kernel optional: fconv_execute_arrays(plan, x, out=y) uses the
  ! kernel set with fconv_plan_set_kernel_array.
  function fconv_execute_arrays(plan, signal, kernel, out) result(st)
    type(c_ptr), intent(in) :: plan
    type(*), dimension(..), intent(in), contiguous, target :: signal
    type(*), dimension(..), intent(in), contiguous, target, optional :: kernel
    type(*), dimension(..), intent(inout), contiguous, target :: out
    integer(c_int) :: st
    type(c_ptr) :: k
    k = c_null_ptr
    if (present(kernel)) k = c_loc(kernel)
    st = fconv_execute(plan, c_loc(signal), k, c_loc(out))
  end function

  ! fconv_plan_set_kernel_array(plan, kernel): fconv_plan_set_kernel on an array.
  function fconv_plan_set_kernel_array(plan, kernel) result(st)
    type(c_ptr), intent(in) :: plan
    type(*), dimension(..), intent(in), contiguous, target :: kernel
    integer(c_int) :: st
    st = fconv_plan_set_kernel(plan, c_loc(kernel))
  end function

  ! fconv_convolve_arrays(d, signal, kernel, out): fconv_convolve on arrays.
  function fconv_convolve_arrays(d, signal, kernel, out) result(st)
    type(fconv_desc), intent(in) :: d
    type(*), dimension(..), intent(in), contiguous, target :: signal, kernel
    type(*), dimension(..), intent(inout), contiguous, target :: out
    integer(c_int) :: st
    st = fconv_convolve(d, c_loc(signal), c_loc(kernel), c_loc(out))
  end function

  ! FFTW wisdom (fconv_wisdom_*, see fconv.h), with Fortran strings: the text of
  ! fconv_wisdom_export_string comes back allocated (the C string is freed), paths and texts are
  ! passed as plain Fortran strings (trailing blanks of a path are dropped).
  function fconv_wisdom_export_string(text) result(st)
    character(len=:), allocatable, intent(out) :: text
    integer(c_int) :: st
    type(c_ptr) :: p
    st = c_fconv_wisdom_export_string(p)
    if (st /= FCONV_OK) then
      text = ''
      return
    end if
    text = c_to_string(p)
    call c_fconv_wisdom_free(p)
  end function
  function fconv_wisdom_import_string(text) result(st)
    character(len=*), intent(in) :: text
    integer(c_int) :: st
    st = c_fconv_wisdom_import_string(text // c_null_char)
  end function
  function fconv_wisdom_export_file(path) result(st)
    character(len=*), intent(in) :: path
    integer(c_int) :: st
    st = c_fconv_wisdom_export_file(trim(path) // c_null_char)
  end function
  function fconv_wisdom_import_file(path) result(st)
    character(len=*), intent(in) :: path
    integer(c_int) :: st
    st = c_fconv_wisdom_import_file(trim(path) // c_null_char)
  end function

  ! fconv_stream_process_arrays(stream, in, out): fconv_stream_process on arrays (one block:
  ! inputs x B elements in, outputs x B out, channel after channel).
  function fconv_stream_process_arrays(stream, in, out) result(st)
    type(c_ptr), intent(in) :: stream
    type(*), dimension(..), intent(in), contiguous, target :: in
    type(*), dimension(..), intent(inout), contiguous, target :: out
    integer(c_int) :: st
    st = fconv_stream_process(stream, c_loc(in), c_loc(out))
  end function
end module fconv
