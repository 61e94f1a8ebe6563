// The one exception family for caller mistakes (docs/api.md).
//
// Every message names the argument (or file and line), the offending value and
// the rule it breaks, in one line, e.g.
//   "--threads: 0: must be a positive integer"
//   "design.tsv:4: 5 fields, expected 7 (header has 7 columns)".
// Per-feature numerical outcomes are never exceptions: they are FeatureStatus
// values in the fit results.
#ifndef NBGLM_ERROR_H_
#define NBGLM_ERROR_H_

#include <stdexcept>
#include <string>

namespace nbglm {

// Base of everything nbglm throws on purpose.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad input from the caller: unreadable or malformed file, shape mismatch, bad
// option, rank-deficient model. The CLI maps it to exit status 2.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(message) {}
  // "<where>: <value>: <rule>", the canonical one-line form.
  InputError(const std::string& where, const std::string& value, const std::string& rule)
      : Error(where + ": " + value + ": " + rule) {}
};

}  // namespace nbglm

#endif  // NBGLM_ERROR_H_
