#include "nbglm/model.h"

#include "nbglm/error.h"

namespace nbglm {

LinearPredictor MakeLinearPredictor(Design design, ConstraintBasis constraints, const std::string& what,
                                    bool require_identifiable) {
  design.Validate(what);
  if (constraints.parameter_names() != design.parameter_names) {
    throw InputError(what, "constraints over " + std::to_string(constraints.num_parameters()) + " parameters",
                     "must be over the design's " + std::to_string(design.num_parameters()) +
                         " parameters, in the same order");
  }
  LinearPredictor predictor;
  predictor.identifiability = CheckIdentifiability(design, constraints);
  if (require_identifiable) RequireIdentifiable(predictor.identifiability, what);
  predictor.reduced_design = constraints.ReduceDesign(design.values);
  predictor.design = std::move(design);
  predictor.constraints = std::move(constraints);
  return predictor;
}

NbGlmModel MakeModel(LinearPredictor location, LinearPredictor scale) {
  const auto& loc_names = location.design.observation_names;
  const auto& scale_names = scale.design.observation_names;
  if (loc_names.size() != scale_names.size()) {
    throw InputError("scale design", std::to_string(scale_names.size()) + " observations",
                     "expected " + std::to_string(loc_names.size()) + " (as in the location design)");
  }
  for (std::size_t i = 0; i < loc_names.size(); ++i) {
    if (loc_names[i] != scale_names[i]) {
      throw InputError("scale design", "observation " + std::to_string(i + 1) + " '" + scale_names[i] + "'",
                       "expected '" + loc_names[i] + "' (same observations, same order as the location design)");
    }
  }
  NbGlmModel model;
  model.location = std::move(location);
  model.scale = std::move(scale);
  return model;
}

}  // namespace nbglm
