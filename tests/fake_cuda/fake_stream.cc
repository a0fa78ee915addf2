// SPDX-License-Identifier: Apache-2.0
// Streams and events. The fake's streams are synchronous: work completes when it is enqueued, so
// synchronising always succeeds at once and an event records the fake clock as it stands (the end of the
// launches before it). cuStreamWaitValue32 therefore cannot wait: kconv's autotuner closes a gate before
// it queues work and opens it from the host afterwards, which a synchronous stream that really waited
// would never reach. It checks its arguments and returns.
#include <iterator>

#include "fake_entry_points.h"
#include "fake_state.h"

namespace fake {

CUresult cuStreamCreate(CUstream* stream, unsigned int flags) {
  Call call("cuStreamCreate");
  if (call.fault()) return call.fault();
  if (stream == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "stream is NULL");
  if (flags != CU_STREAM_DEFAULT && flags != CU_STREAM_NON_BLOCKING) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "unknown flags");
  CUresult error = CUDA_SUCCESS;
  CUcontext context = call.RequireContext(&error);
  if (context == nullptr) return error;
  auto* created = new CUstream_st{context, flags};
  call.s().streams.insert(created);
  *stream = created;
  return CUDA_SUCCESS;
}

CUresult cuStreamDestroy(CUstream stream) {
  Call call("cuStreamDestroy");
  if (call.fault()) return call.fault();
  if (call.s().streams.erase(stream) == 0) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live stream");
  delete stream;
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream stream) {
  Call call("cuStreamSynchronize");
  if (call.fault()) return call.fault();
  if (!call.ValidStream(stream)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "unknown stream");
  return CUDA_SUCCESS;
}

CUresult cuStreamWaitValue32(CUstream stream, CUdeviceptr address, cuuint32_t, unsigned int flags) {
  Call call("cuStreamWaitValue32");
  if (call.fault()) return call.fault();
  if (!call.ValidStream(stream)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "unknown stream");
  const unsigned condition = flags & ~static_cast<unsigned>(CU_STREAM_WAIT_VALUE_FLUSH);
  if (condition != CU_STREAM_WAIT_VALUE_GEQ && condition != CU_STREAM_WAIT_VALUE_EQ &&
      condition != CU_STREAM_WAIT_VALUE_AND && condition != CU_STREAM_WAIT_VALUE_NOR) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, "unknown wait condition");
  }
  if (address % 4 != 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "address is not 4-byte aligned");
  // The word must be device memory or mapped host memory that stays allocated.
  const auto& host = call.s().host_allocations;
  auto it = host.upper_bound(static_cast<uintptr_t>(address));
  const bool mapped_host = it != host.begin() && static_cast<uintptr_t>(address) - std::prev(it)->first + 4 <= std::prev(it)->second.bytes;
  if (!mapped_host && call.DeviceRange(address, 4) == nullptr) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, "the word is neither device memory nor mapped host memory");
  }
  return CUDA_SUCCESS;
}

CUresult cuEventCreate(CUevent* event, unsigned int flags) {
  Call call("cuEventCreate");
  if (call.fault()) return call.fault();
  if (event == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "event is NULL");
  constexpr unsigned kKnown = CU_EVENT_BLOCKING_SYNC | CU_EVENT_DISABLE_TIMING | CU_EVENT_INTERPROCESS;
  if (flags & ~kKnown) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "unknown flags");
  CUresult error = CUDA_SUCCESS;
  if (call.RequireContext(&error) == nullptr) return error;
  auto* created = new CUevent_st{flags, false, 0};
  call.s().events.insert(created);
  *event = created;
  return CUDA_SUCCESS;
}

CUresult cuEventDestroy(CUevent event) {
  Call call("cuEventDestroy");
  if (call.fault()) return call.fault();
  if (call.s().events.erase(event) == 0) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live event");
  delete event;
  return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent event, CUstream stream) {
  Call call("cuEventRecord");
  if (call.fault()) return call.fault();
  if (!call.ValidEvent(event)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live event");
  if (!call.ValidStream(stream)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "unknown stream");
  event->recorded = true;
  event->time_us = call.s().clock_us;
  return CUDA_SUCCESS;
}

CUresult cuEventQuery(CUevent event) {
  Call call("cuEventQuery");
  if (call.fault()) return call.fault();
  if (!call.ValidEvent(event)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live event");
  return CUDA_SUCCESS;
}

CUresult cuEventSynchronize(CUevent event) {
  Call call("cuEventSynchronize");
  if (call.fault()) return call.fault();
  if (!call.ValidEvent(event)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live event");
  return CUDA_SUCCESS;
}

CUresult cuEventElapsedTime(float* milliseconds, CUevent start, CUevent end) {
  Call call("cuEventElapsedTime");
  if (call.fault()) return call.fault();
  if (milliseconds == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "milliseconds is NULL");
  if (!call.ValidEvent(start) || !call.ValidEvent(end)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live event");
  if (!start->recorded || !end->recorded) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "an event was never recorded");
  if ((start->flags | end->flags) & CU_EVENT_DISABLE_TIMING) {
    return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "an event was created with CU_EVENT_DISABLE_TIMING");
  }
  *milliseconds = static_cast<float>((end->time_us - start->time_us) / 1000.0);
  return CUDA_SUCCESS;
}

}  // namespace fake
