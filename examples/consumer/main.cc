// A consumer of the installed nbglm library: simulate two groups of samples
// with known truth, fit the NB GLM per feature, Wald-test the group effect.
#include <iostream>

#include <nbglm/constraints.h>
#include <nbglm/design.h>
#include <nbglm/fit.h>
#include <nbglm/inference.h>
#include <nbglm/model.h>
#include <nbglm/simulator.h>

int main() {
  // Location design: intercept + treated (every other sample); scale: intercept only.
  const std::size_t samples = 12;
  nbglm::Matrix x = xt::zeros<double>({samples, std::size_t{2}});
  for (std::size_t i = 0; i < samples; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = i % 2 == 1 ? 1.0 : 0.0;
  }
  const nbglm::Design location = nbglm::MakeDesign(x, {"(Intercept)", "treated"});
  const nbglm::Design scale = nbglm::InterceptDesign(location.observation_names);

  nbglm::SimulatorOptions simulator_options;
  simulator_options.seed = 1;
  nbglm::Simulator simulator(5, location, scale, nbglm::Vector(), simulator_options);
  simulator.GenerateParams();
  const nbglm::CountMatrix& counts = simulator.GenerateData();

  const nbglm::NbGlmModel model = nbglm::MakeModel(
      nbglm::MakeLinearPredictor(location, nbglm::ConstraintBasis::Identity(location.parameter_names), "location"),
      nbglm::MakeLinearPredictor(scale, nbglm::ConstraintBasis::Identity(scale.parameter_names), "scale"));
  const nbglm::FitResult fit = nbglm::Fit(counts, model, nbglm::Vector(), nbglm::FitOptions());
  const nbglm::TestResult wald = nbglm::WaldTestCoefficient(fit, model, "treated");

  std::cout << fit.BriefReport() << "\n" << wald.ToTsv();
  return fit.num_features() == 5 ? 0 : 1;
}
