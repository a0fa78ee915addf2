// SPDX-License-Identifier: Apache-2.0
// Early-return helpers for absl::Status / absl::StatusOr, as in XLA's stream_executor.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KCONV_CONCAT_INNER(a, b) a##b
#define KCONV_CONCAT(a, b) KCONV_CONCAT_INNER(a, b)

#define KCONV_RETURN_IF_ERROR(expr)                     \
  do {                                                  \
    const ::absl::Status kconv_status_tmp_ = (expr);    \
    if (!kconv_status_tmp_.ok()) return kconv_status_tmp_; \
  } while (0)

#define KCONV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(*tmp)

#define KCONV_ASSIGN_OR_RETURN(lhs, expr) \
  KCONV_ASSIGN_OR_RETURN_IMPL(KCONV_CONCAT(kconv_statusor_, __LINE__), lhs, expr)
