// The Wald tests of `nbglm test` on a fit in memory: the command runs them on
// a fit read back from its directory, the Python module on the fit it holds.
#ifndef NBGLM_SRC_CLI_TEST_RUN_H_
#define NBGLM_SRC_CLI_TEST_RUN_H_

#include <string>

#include "nbglm/fit.h"
#include "nbglm/inference.h"
#include "nbglm/model.h"
#include "nbglm/table.h"

namespace nbglm::cli {

// --coef NAME: a location parameter, else a scale parameter; "loc:NAME" or
// "scale:NAME" picks the predictor. Throws InputError listing the parameters
// for an unknown name.
TestResult TestCoefficient(const FitResult& fit, const NbGlmModel& model, const std::string& coef);

// --contrast: a table whose header names every parameter of one predictor
// once (any order; "scale:" before every name picks the scale) and one row
// of weights. Messages name table.path.
TestResult TestContrast(const FitResult& fit, const NbGlmModel& model, const TextTable& table);

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_TEST_RUN_H_
