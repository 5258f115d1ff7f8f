/* dev_emu.cpp — src/cuda/dev.h on the CPU, for the emulated tests.
 *
 * One emulated device (ordinal 0, "132 SMs"). Device and pinned memory are exact-size host
 * allocations (ASan sees overruns), tracked so that pointer-kind queries and copy directions
 * are checked: copying from device memory with an H2D copy, or launching with a host pointer
 * where the host logic passed the wrong buffer, is reported as a test failure.
 *
 * Streams are LAZY and in order: copies, memsets, kernels and event waits are queued and run
 * only when the host synchronises (stream sync, event sync, a wait that needs them, a free or
 * a pageable copy, which synchronise like the CUDA runtime does). A host read of a pinned
 * buffer before the synchronisation that makes it valid therefore sees stale data, as it may
 * on a GPU. Execution is serialised under one process-wide mutex.
 *
 * Legacy default-stream semantics are modelled: work queued on stream NULL waits for the work
 * queued before it on every BLOCKING stream, and work queued on a blocking stream waits for
 * the work queued before it on stream NULL; non-blocking streams are ordered with nothing.
 */
#include "../../../src/cuda/compat.cuh"
#include "../../../src/cuda/dev.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Alloc {
  size_t bytes;
  fconv_dev_ptr_kind kind;
  bool symbol; /* a __constant__/__device__ symbol, not freeable */
  int device;  /* current device at allocation */
};

struct EStream {
  uint64_t id = 0; /* never reused: events name their stream by id */
  std::deque<std::function<fconv_status()>> q;
  uint64_t enq = 0, done = 0;
  fconv_status err = FCONV_OK;
  bool blocking = false; /* created without cudaStreamNonBlocking: ordered with stream NULL */
  bool capturing = false; /* set_capturing: synchronising it is an error */
};

struct EEvent {
  uint64_t stream = 0; /* id; 0 = never recorded */
  uint64_t seq = 0;
  bool timed = false;  /* fconv_dev_timer_create: a record queues a time stamp */
  std::shared_ptr<double> when = std::make_shared<double>(0.0); /* host clock at completion */
};

struct DevState {
  std::recursive_mutex m;
  std::map<uintptr_t, Alloc> allocs;
  std::map<uint64_t, EStream *> streams; /* live streams by id; the legacy one is id 1 */
  EStream legacy;                        /* stream NULL */
  uint64_t next_id = 2;
  DevState() { legacy.id = 1; }
  long fail_after = -1, count = 0;
  int current = 0;
  int devices = 1; /* emulated devices (set_device_count) */
  bool fail_streams = false; /* dev_fail_stream_create */
  bool poison = false;       /* dev_poison_allocations */
  std::string props_name = "fconv emulated device"; /* set_device_name */
  long memsets = 0;          /* device memsets queued (memsets_queued) */
};

DevState &st() {
  static DevState *s = new DevState(); /* never destroyed: usable from static destructors */
  return *s;
}

EStream *stream_of(fconv_dev_stream s) { return s ? (EStream *)s : &st().legacy; }

/* A live stream by id (a destroyed stream has completed all its work). */
EStream *by_id(uint64_t id) {
  DevState &d = st();
  if (id == 1) return &d.legacy;
  auto it = d.streams.find(id);
  return it == d.streams.end() ? nullptr : it->second;
}

/* The allocation containing [p, p+bytes), or nullptr. */
const Alloc *find(const void *p, size_t bytes, uintptr_t *base = nullptr) {
  DevState &d = st();
  uintptr_t a = (uintptr_t)p;
  auto it = d.allocs.upper_bound(a);
  if (it == d.allocs.begin()) return nullptr;
  --it;
  if (a < it->first || a + bytes > it->first + it->second.bytes + (it->second.bytes == 0))
    return nullptr;
  if (base) *base = it->first;
  return &it->second;
}

bool is_device(const void *p, size_t bytes) {
  const Alloc *a = find(p, bytes);
  return a && a->kind == FCONV_PTR_DEVICE;
}
bool is_pinned(const void *p, size_t bytes) {
  const Alloc *a = find(p, bytes);
  return a && a->kind == FCONV_PTR_PINNED;
}
bool touches_device(const void *p) {
  const Alloc *a = find(p, 1);
  return a && a->kind == FCONV_PTR_DEVICE;
}

void drain(EStream *s, uint64_t upto) {
  while (s->done < upto && !s->q.empty()) {
    auto op = std::move(s->q.front());
    s->q.pop_front();
    fconv_status e = op();
    if (e != FCONV_OK && s->err == FCONV_OK) s->err = e;
    s->done++;
  }
}

void drain_all() {
  DevState &d = st();
  drain(&d.legacy, d.legacy.enq);
  for (auto &s : d.streams) drain(s.second, s.second->enq);
}

void push(EStream *e, std::function<fconv_status()> op) {
  e->q.push_back(std::move(op));
  e->enq++;
}

/* Queue on `e` a wait for the work queued so far on the stream with id `id`. */
void push_wait(EStream *e, uint64_t id, uint64_t seq) {
  push(e, [id, seq]() {
    if (EStream *o = by_id(id)) drain(o, seq);
    return FCONV_OK;
  });
}

void enqueue(fconv_dev_stream s, std::function<fconv_status()> op) {
  DevState &d = st();
  EStream *e = stream_of(s);
  if (e == &d.legacy) { /* the legacy stream waits for every blocking stream */
    for (auto &o : d.streams)
      if (o.second->blocking && o.second->done < o.second->enq)
        push_wait(e, o.first, o.second->enq);
  } else if (e->blocking && d.legacy.done < d.legacy.enq) { /* and they wait for it */
    push_wait(e, d.legacy.id, d.legacy.enq);
  }
  push(e, std::move(op));
}

fconv_status bad(const std::string &msg) {
  fconv_emu::report_failure(msg);
  return FCONV_ERR_CUDA;
}

fconv_status alloc(void **p, size_t bytes, fconv_dev_ptr_kind kind) {
  DevState &d = st();
  std::lock_guard<std::recursive_mutex> lock(d.m);
  if (!p) return FCONV_ERR_INVALID_ARGUMENT;
  *p = nullptr;
  if (bytes == 0) return FCONV_OK;
  if (d.fail_after >= 0 && d.count++ >= d.fail_after) return FCONV_ERR_OUT_OF_MEMORY;
  void *m = nullptr;
  if (posix_memalign(&m, kind == FCONV_PTR_DEVICE ? 256 : 64, bytes) != 0)
    return FCONV_ERR_OUT_OF_MEMORY;
  if (d.poison && kind == FCONV_PTR_DEVICE) std::memset(m, 0xFF, bytes); /* NaN everywhere */
  d.allocs[(uintptr_t)m] = Alloc{bytes, kind, false, d.current};
  *p = m;
  return FCONV_OK;
}

void release(void *p, fconv_dev_ptr_kind kind, const char *fn) {
  if (!p) return;
  DevState &d = st();
  std::lock_guard<std::recursive_mutex> lock(d.m);
  auto it = d.allocs.find((uintptr_t)p);
  if (it == d.allocs.end() || it->second.kind != kind || it->second.symbol) {
    bad(std::string(fn) + ": not a live allocation of that kind");
    return;
  }
  drain_all(); /* cudaFree / cudaFreeHost synchronise the device */
  d.allocs.erase(it);
  std::free(p);
}

}  // namespace

/* ---- devices --------------------------------------------------------------------------------- */

int fconv_cuda_devices(void) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  return st().devices;
}

fconv_status fconv_dev_get_device(int *device) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  *device = st().current;
  return FCONV_OK;
}

fconv_status fconv_dev_set_device(int device) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  if (device < 0 || device >= st().devices) return FCONV_ERR_CUDA; /* cudaErrorInvalidDevice */
  st().current = device;
  return FCONV_OK;
}

int fconv_dev_usable(int device) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  return device >= 0 && device < st().devices;
}
int fconv_dev_sm_count(int device) { return fconv_dev_usable(device) ? 132 : 0; }

/* An H100 SXM5-like device: its defaults (cost.h) are the figures the models had before. */
fconv_status fconv_dev_properties(int device, fconv_dev_props *p) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  memset(p, 0, sizeof *p);
  if (!fconv_dev_usable(device)) return FCONV_ERR_CUDA; /* cudaErrorInvalidDevice */
  snprintf(p->name, sizeof p->name, "%s", st().props_name.c_str());
  p->cc_major = 9;
  p->cc_minor = 0;
  p->driver = 13000;
  p->sms = 132;
  p->clock_hz = 1.98e9;
  p->mem_clock_hz = 2.619e9;
  p->bus_bits = 5120;
  return FCONV_OK;
}

/* ---- memory ---------------------------------------------------------------------------------- */

fconv_status fconv_dev_malloc(void **p, size_t bytes) { return alloc(p, bytes, FCONV_PTR_DEVICE); }
void fconv_dev_free(void *p) { release(p, FCONV_PTR_DEVICE, "fconv_dev_free"); }
fconv_status fconv_dev_malloc_host(void **p, size_t bytes) {
  return alloc(p, bytes, FCONV_PTR_PINNED);
}
void fconv_dev_free_host(void *p) { release(p, FCONV_PTR_PINNED, "fconv_dev_free_host"); }

fconv_status fconv_dev_pointer_kind(const void *p, fconv_dev_ptr_kind *kind) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  const Alloc *a = find(p, 1);
  *kind = a ? a->kind : FCONV_PTR_HOST;
  return FCONV_OK;
}

fconv_status fconv_dev_pointer_device(const void *p, int *device) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  const Alloc *a = find(p, 1);
  *device = a && (a->kind == FCONV_PTR_DEVICE || a->kind == FCONV_PTR_MANAGED) ? a->device : -1;
  return FCONV_OK;
}

fconv_status fconv_dev_symbol_address_emu(void **pp, void *sym, size_t bytes) {
  DevState &d = st();
  std::lock_guard<std::recursive_mutex> lock(d.m);
  if (!d.allocs.count((uintptr_t)sym))
    d.allocs[(uintptr_t)sym] = Alloc{bytes, FCONV_PTR_DEVICE, true, d.current};
  *pp = sym;
  return FCONV_OK;
}

/* ---- copies ---------------------------------------------------------------------------------- */

fconv_status fconv_dev_copy_h2d(void *dst, const void *src, size_t bytes, fconv_dev_stream s) {
  if (bytes == 0) return FCONV_OK;
  std::lock_guard<std::recursive_mutex> lock(st().m);
  if (!is_device(dst, bytes)) return bad("copy_h2d: destination is not a device buffer of that size");
  if (touches_device(src)) return bad("copy_h2d: source is device memory");
  if (!is_pinned(src, bytes)) { /* pageable: the runtime synchronises and copies now */
    drain(stream_of(s), stream_of(s)->enq);
    std::memcpy(dst, src, bytes);
    return FCONV_OK;
  }
  enqueue(s, [=]() { std::memcpy(dst, src, bytes); return FCONV_OK; });
  return FCONV_OK;
}

fconv_status fconv_dev_copy_d2h(void *dst, const void *src, size_t bytes, fconv_dev_stream s) {
  if (bytes == 0) return FCONV_OK;
  std::lock_guard<std::recursive_mutex> lock(st().m);
  if (!is_device(src, bytes)) return bad("copy_d2h: source is not a device buffer of that size");
  if (touches_device(dst)) return bad("copy_d2h: destination is device memory");
  if (!is_pinned(dst, bytes)) { /* pageable: returns when the copy has completed */
    drain(stream_of(s), stream_of(s)->enq);
    std::memcpy(dst, src, bytes);
    return FCONV_OK;
  }
  enqueue(s, [=]() { std::memcpy(dst, src, bytes); return FCONV_OK; });
  return FCONV_OK;
}

fconv_status fconv_dev_copy_d2d(void *dst, const void *src, size_t bytes, fconv_dev_stream s) {
  if (bytes == 0) return FCONV_OK;
  std::lock_guard<std::recursive_mutex> lock(st().m);
  if (!is_device(dst, bytes) || !is_device(src, bytes))
    return bad("copy_d2d: source or destination is not a device buffer of that size");
  enqueue(s, [=]() { std::memmove(dst, src, bytes); return FCONV_OK; });
  return FCONV_OK;
}

fconv_status fconv_dev_copy2d_d2d(void *dst, size_t dpitch, const void *src, size_t spitch,
                                  size_t width, size_t rows, fconv_dev_stream s) {
  if (width == 0 || rows == 0) return FCONV_OK;
  if (width > dpitch || width > spitch) return FCONV_ERR_CUDA; /* cudaErrorInvalidPitchValue */
  std::lock_guard<std::recursive_mutex> lock(st().m);
  if (!is_device(dst, dpitch * (rows - 1) + width) || !is_device(src, spitch * (rows - 1) + width))
    return bad("copy2d_d2d: source or destination is not a device buffer of that size");
  enqueue(s, [=]() {
    for (size_t r = 0; r < rows; r++)
      std::memmove((char *)dst + r * dpitch, (const char *)src + r * spitch, width);
    return FCONV_OK;
  });
  return FCONV_OK;
}

fconv_status fconv_dev_memset(void *dst, int value, size_t bytes, fconv_dev_stream s) {
  if (bytes == 0) return FCONV_OK;
  std::lock_guard<std::recursive_mutex> lock(st().m);
  if (!is_device(dst, bytes)) return bad("memset: destination is not a device buffer of that size");
  st().memsets++;
  enqueue(s, [=]() { std::memset(dst, value, bytes); return FCONV_OK; });
  return FCONV_OK;
}

/* ---- streams and events ---------------------------------------------------------------------- */

fconv_status fconv_dev_stream_create(fconv_dev_stream *s, int blocking) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  *s = nullptr;
  if (st().fail_streams) return FCONV_ERR_NO_DEVICE; /* cudaErrorDevicesUnavailable */
  EStream *e = new EStream();
  e->blocking = blocking != 0;
  e->id = st().next_id++;
  st().streams[e->id] = e;
  *s = e;
  return FCONV_OK;
}

void fconv_dev_stream_destroy(fconv_dev_stream s) {
  if (!s) return;
  std::lock_guard<std::recursive_mutex> lock(st().m);
  EStream *e = (EStream *)s;
  if (!st().streams.count(e->id) || st().streams[e->id] != e) {
    bad("stream_destroy: not a live stream");
    return;
  }
  drain(e, e->enq); /* pending work completes, as with cudaStreamDestroy */
  st().streams.erase(e->id);
  delete e;
}

/* Whether s is NULL or a stream not yet destroyed (without reading *s). */
bool live(fconv_dev_stream s) {
  if (!s) return true;
  for (const auto &o : st().streams)
    if (o.second == (EStream *)s) return true;
  return false;
}

fconv_status fconv_dev_stream_sync(fconv_dev_stream s) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  if (!live(s)) return bad("stream_sync: a destroyed stream");
  EStream *e = stream_of(s);
  if (e->capturing) return bad("stream_sync: the stream is capturing a graph");
  drain(e, e->enq);
  fconv_status r = e->err;
  e->err = FCONV_OK;
  return r;
}

fconv_status fconv_dev_stream_capturing(fconv_dev_stream s, int *capturing) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  *capturing = stream_of(s)->capturing;
  return FCONV_OK;
}

fconv_status fconv_dev_event_create(fconv_dev_event *e) {
  *e = new EEvent();
  return FCONV_OK;
}

fconv_status fconv_dev_timer_create(fconv_dev_event *e) {
  EEvent *ev = new EEvent();
  ev->timed = true;
  *e = ev;
  return FCONV_OK;
}

fconv_status fconv_dev_event_elapsed(fconv_dev_event start, fconv_dev_event end, double *seconds) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  const EEvent *a = (const EEvent *)start, *b = (const EEvent *)end;
  if (!a->timed || !b->timed || !a->stream || !b->stream)
    return bad("event_elapsed: events without timing, or never recorded");
  *seconds = *b->when - *a->when;
  return FCONV_OK;
}

void fconv_dev_event_destroy(fconv_dev_event e) { delete (EEvent *)e; }

fconv_status fconv_dev_event_record(fconv_dev_event e, fconv_dev_stream s) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  EEvent *ev = (EEvent *)e;
  if (ev->timed) {
    std::shared_ptr<double> when = ev->when;
    enqueue(s, [when]() {
      *when = (double)std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now().time_since_epoch()).count() * 1e-9;
      return FCONV_OK;
    });
  }
  EStream *es = stream_of(s);
  ev->stream = es->id;
  ev->seq = es->enq;
  return FCONV_OK;
}

fconv_status fconv_dev_event_sync(fconv_dev_event e) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  EEvent *ev = (EEvent *)e;
  if (EStream *es = by_id(ev->stream)) drain(es, ev->seq); /* else complete */
  return FCONV_OK;
}

fconv_status fconv_dev_stream_wait_event(fconv_dev_stream s, fconv_dev_event e) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  EEvent *ev = (EEvent *)e;
  const uint64_t id = ev->stream, seq = ev->seq;
  if (!id) return FCONV_OK;
  enqueue(s, [id, seq]() {
    if (EStream *es = by_id(id)) drain(es, seq);
    return FCONV_OK;
  });
  return FCONV_OK;
}

/* ---- launches -------------------------------------------------------------------------------- */


namespace fconv_emu {

fconv_status launch_enqueue(KernelLaunch &&k, void *stream) {
  FCONV_FORWARD(launch_check(k));
  std::lock_guard<std::recursive_mutex> lock(st().m);
  auto kp = std::make_shared<KernelLaunch>(std::move(k));
  enqueue(stream, [kp]() { return launch_run(*kp); });
  return FCONV_OK;
}

void dev_fail_after(long n) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  st().fail_after = n;
  st().count = 0;
}

void set_device_name(const char *name) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  st().props_name = name;
}

void dev_poison_allocations(bool on) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  st().poison = on;
}

long memsets_queued() {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  return st().memsets;
}

void dev_fail_stream_create(bool on) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  st().fail_streams = on;
}

fconv_status enqueue_host(void *stream, std::function<fconv_status()> fn) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  enqueue(stream, std::move(fn));
  return FCONV_OK;
}

void set_capturing(void *stream, bool on) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  stream_of(stream)->capturing = on;
}

void set_device_count(int n) {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  st().devices = n;
  if (st().current >= n) st().current = 0;
}

long live_device_allocations() {
  std::lock_guard<std::recursive_mutex> lock(st().m);
  long n = 0;
  for (const auto &a : st().allocs) n += !a.second.symbol;
  return n;
}

}  // namespace fconv_emu
