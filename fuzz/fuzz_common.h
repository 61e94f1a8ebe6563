// Shared by the libFuzzer targets: runs one parser on the fuzzer's bytes.
// Caller mistakes are InputError — the expected outcome for most inputs; any
// other exception, a crash or a sanitizer report is a finding (libFuzzer
// stops and saves the input). Internal header.
#ifndef NBGLM_FUZZ_FUZZ_COMMON_H_
#define NBGLM_FUZZ_FUZZ_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "nbglm/error.h"

namespace nbglm::fuzz {

inline std::string AsString(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

template <typename Body>
int RunExpectingOnlyInputErrors(Body&& body) {
  try {
    body();
  } catch (const InputError&) {
    // A clear message for a bad input: the contract.
  }
  return 0;
}

}  // namespace nbglm::fuzz

#endif  // NBGLM_FUZZ_FUZZ_COMMON_H_
