// Design matrices (docs/model.md §1 eqs. (1)–(2)): observations × parameters with
// names. Location (X) and scale (Z_s) designs are independent objects.
#ifndef NBGLM_DESIGN_H_
#define NBGLM_DESIGN_H_

#include <string>
#include <vector>

#include "nbglm/types.h"

namespace nbglm {

struct Design {
  std::vector<std::string> observation_names;  // n
  std::vector<std::string> parameter_names;    // p
  Matrix values;                               // n × p, row-major

  Index num_observations() const { return static_cast<Index>(values.shape(0)); }
  Index num_parameters() const { return static_cast<Index>(values.shape(1)); }

  // Throws InputError (prefixed by `what`) unless names and values agree in
  // size, names are unique and non-empty, and every value is finite.
  void Validate(const std::string& what) const;
};

// Builds a validated design; observation names default to "obs_0", ….
Design MakeDesign(Matrix values, std::vector<std::string> parameter_names,
                  std::vector<std::string> observation_names = {});

// An intercept-only design (one column "(Intercept)") for the given observations.
Design InterceptDesign(const std::vector<std::string>& observation_names);

// Reads a design TSV: header = (name of the observation column, parameter
// names…); each row = observation name, then one finite number per parameter.
// Throws InputError naming file, line and column for any violation, including
// a file with no rows or no parameter columns.
Design ReadDesign(const std::string& path);

// The design as TSV text in the format ReadDesign reads (header "observation").
std::string DesignToTsv(const Design& design);

}  // namespace nbglm

#endif  // NBGLM_DESIGN_H_
