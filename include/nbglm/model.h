// The model layer (docs/api.md): designs + constraints → reduced designs,
// basis and rank check, validated once before any fitting.
#ifndef NBGLM_MODEL_H_
#define NBGLM_MODEL_H_

#include <string>

#include "nbglm/constraints.h"
#include "nbglm/design.h"
#include "nbglm/identifiability.h"

namespace nbglm {

// One linear predictor: η = o + X a (eq. 1) or ζ = Z b (eq. 2), a = B θ.
struct LinearPredictor {
  Design design;                         // X (n × p)
  ConstraintBasis constraints;           // B (p × q)
  IdentifiabilityReport identifiability;
  Matrix reduced_design;                 // X B (n × q), what estimators see

  Index num_parameters() const { return design.num_parameters(); }
  Index num_reduced() const { return constraints.num_reduced(); }
};

// Location and scale predictors over the same observations.
struct NbGlmModel {
  LinearPredictor location;
  LinearPredictor scale;

  Index num_observations() const { return location.design.num_observations(); }
};

// Checks the basis matches the design, runs the rank check and reduces the
// design. With `require_identifiable`, a deficient model throws InputError
// naming `what` and the unidentifiable combinations.
LinearPredictor MakeLinearPredictor(Design design, ConstraintBasis constraints, const std::string& what,
                                    bool require_identifiable = true);

// Both predictors; also checks that the two designs have the same observations
// in the same order (by name).
NbGlmModel MakeModel(LinearPredictor location, LinearPredictor scale);

}  // namespace nbglm

#endif  // NBGLM_MODEL_H_
