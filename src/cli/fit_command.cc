// nbglm fit: counts + designs + constraints → per-feature estimates, standard
// errors, log-likelihood and status (docs/formats.md "fit outputs").
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <utility>

#include "cli/commands.h"
#include "cli/fit_inputs.h"
#include "cli/fit_run.h"
#include "cli/model_options.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/fit_output.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm::cli {
namespace {

// Progress on stderr: a redrawn bar on a terminal, a plain line every ~10%
// otherwise; nothing with --quiet.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), terminal_(::isatty(2) != 0), start_(Clock::now()) {}
  void Update(Index done, Index total) {
    if (!enabled_ || total == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
    if (terminal_) {
      if (seconds - last_ < 0.2 && done < total) return;
      last_ = seconds;
      const int width = 30;
      const int filled = static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total));
      std::fprintf(stderr, "\r[%s%s] %lld/%lld features, %.0f/s, ETA %.0f s ", std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), static_cast<long long>(done), static_cast<long long>(total),
                   rate, eta);
      if (done == total) std::fprintf(stderr, "\n");
    } else {
      const Index step = std::max<Index>(total / 10, 1);
      if (done / step == reported_ / step && done < total) return;
      reported_ = done;
      std::fprintf(stderr, "fit: %lld/%lld features, %.0f/s, ETA %.0f s\n", static_cast<long long>(done),
                   static_cast<long long>(total), rate, eta);
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_, terminal_;
  Clock::time_point start_;
  std::mutex mutex_;
  double last_ = -1.0;
  Index reported_ = 0;
};

}  // namespace

Action AddFitCommand(CLI::App& app, FitDistributor distribute) {
  CLI::App* command = app.add_subcommand("fit", "fit NB location-scale GLMs, one per feature");
  struct Options {
    ModelOptions model;
    std::string counts, layer, size_factors, algorithm = ToString(FitOptions().algorithm), out, features;
    std::string scale_estimate = "mle";
    std::string noise = "nb";
    int threads = 0;
    FitOptions defaults;
    double function_tolerance = defaults.function_tolerance;
    double gradient_tolerance = defaults.gradient_tolerance;
    int max_iterations = defaults.max_iterations;
    int memory_budget_mb = 4096;
    bool quiet = false;
    std::vector<std::string> argv;
  };
  auto options = std::make_shared<Options>();
  AddCountsOptions(*command, &options->counts, &options->layer);
  options->model.Register(*command);
  command->add_option("--size-factors", options->size_factors,
                      "TSV (observation, size_factor), a numeric column of --samples, or ratio|poscounts|total");
  command->add_option("--noise", options->noise,
                      "nb (default: negative binomial with its scale model) | poisson (no overdispersion; no scale model)");
  command->add_option("--algorithm", options->algorithm, "newton (default) | irls | ceres");
  command->add_option("--scale-estimate", options->scale_estimate,
                      "mle (default: maximum likelihood) | cox-reid (adjusted profile likelihood; intercept-only scale)");
  CLI::Option* threads = command->add_option("--threads", options->threads, "threads (default: all cores)");
  command->add_option("--function-tolerance", options->function_tolerance,
                      "stop when the relative log-likelihood change is below this (default 1e-12)");
  command->add_option("--gradient-tolerance", options->gradient_tolerance,
                      "... and the largest scaled gradient is below this (default 1e-8)");
  command->add_option("--max-iterations", options->max_iterations, "iterations per feature (default 200)");
  command->add_option("--memory-budget", options->memory_budget_mb,
                      "MiB of memory for the counts; larger inputs are fitted in chunks of features (default 4096)");
  command->add_option("--features", options->features, "feature range BEGIN:END (0-based, END exclusive)");
  command->add_flag("--quiet", options->quiet, "no progress output");
  command->add_option("--out", options->out, "output directory")->required();
  return [command, options, threads, distribute]() {
    if (!command->parsed()) return -1;
    FitOptions fit_options;
    fit_options.algorithm = ParseAlgorithm(options->algorithm);
    if (options->scale_estimate != "mle" && options->scale_estimate != "cox-reid") {
      throw InputError("--scale-estimate", options->scale_estimate, "must be mle or cox-reid");
    }
    const bool cox_reid = options->scale_estimate == "cox-reid";
    fit_options.noise = ParseNoise(options->noise);
    if (fit_options.noise == Noise::kPoisson) {
      if (options->model.has_scale_design()) {
        throw InputError("--noise", "poisson",
                         "has no overdispersion to model: give no --scale / --scale-design (the NB has them)");
      }
      if (cox_reid) {
        throw InputError("--scale-estimate", "cox-reid", "estimates the NB's size; --noise poisson has none");
      }
    }
    if (threads->count() > 0 && options->threads < 1) {
      throw InputError("--threads", std::to_string(options->threads), "must be >= 1 (omit it for all cores)");
    }
    fit_options.num_threads = threads->count() > 0 ? options->threads : 0;
    fit_options.function_tolerance = options->function_tolerance;
    fit_options.gradient_tolerance = options->gradient_tolerance;
    fit_options.max_iterations = options->max_iterations;
    if (!(options->function_tolerance > 0.0)) {
      throw InputError("--function-tolerance", FormatDouble(options->function_tolerance), "must be > 0");
    }
    if (!(options->gradient_tolerance > 0.0)) {
      throw InputError("--gradient-tolerance", FormatDouble(options->gradient_tolerance), "must be > 0");
    }
    if (options->memory_budget_mb < 1) {
      throw InputError("--memory-budget", std::to_string(options->memory_budget_mb), "must be >= 1 (MiB)");
    }
    if (options->max_iterations < 1) {
      throw InputError("--max-iterations", std::to_string(options->max_iterations), "must be >= 1");
    }
    if (!options->features.empty()) {
      const std::size_t colon = options->features.find(':');
      try {
        if (colon == std::string::npos) throw std::invalid_argument("no colon");
        fit_options.feature_begin = std::stoll(options->features.substr(0, colon));
        fit_options.feature_end = std::stoll(options->features.substr(colon + 1));
      } catch (const std::exception&) {
        throw InputError("--features", options->features, "must be BEGIN:END with 0 <= BEGIN <= END");
      }
      if (fit_options.feature_begin < 0 || fit_options.feature_end < fit_options.feature_begin) {
        throw InputError("--features", options->features, "must be BEGIN:END with 0 <= BEGIN <= END");
      }
    }
    // Every step from here reads or writes; a distributed run does them
    // split across its processes (docs/distributed.md).
    FitCommandSteps steps;
    steps.quiet = options->quiet;
    steps.prepare = [options, fit_options, cox_reid]() {
      options->model.DefaultSamplesToCounts(options->counts);
      NbGlmModel built = options->model.Build(/*require_identifiable=*/true);
      CountReader reader(options->counts, CountFormat::kDetect, options->layer);
      FitRequest request;
      request.model = options->model;
      request.size_factors = options->size_factors;
      request.fit = fit_options;
      request.cox_reid = cox_reid;
      request.chunk_bytes = static_cast<std::int64_t>(options->memory_budget_mb) * (1 << 20) / 2;
      FitRun run = PrepareFit(request, std::move(built), reader, "--counts " + options->counts);
      return PreparedFit{std::move(request), std::move(reader), std::move(run)};
    };
    steps.write = [options](const PreparedFit& prepared, const std::function<void(FitOutputWriter&)>& append,
                            std::size_t chunks, int ranks) {
      const NbGlmModel& model = prepared.run.model;
      const Vector& size_factors = prepared.run.size_factors;
      const std::string& sf = options->size_factors;
      FitOutputWriter writer(options->out, model);
      append(writer);
      FitRunInfo info;
      info.counts_path = options->counts;
      info.extra.emplace_back("size_factors", sf.empty() ? "none" : sf);
      info.extra.emplace_back("chunks", std::to_string(chunks));
      if (ranks > 1) info.extra.emplace_back("ranks", std::to_string(ranks));
      // What `nbglm test` needs to refit a reduced model on the same data.
      info.inputs.emplace_back(kInputCounts, AbsolutePath(options->counts));
      RecordModelInputs(options->model, &info);
      info.inputs.emplace_back(kInputSizeFactors,
                               size_factors.size() > 0 ? AbsolutePath(options->out + "/size_factors.tsv") : "");
      info.inputs.emplace_back(kInputAlgorithm, ToString(prepared.request.fit.algorithm));
      info.inputs.emplace_back(kInputScaleEstimate, options->scale_estimate);
      info.inputs.emplace_back(kInputNoise, ToString(prepared.request.fit.noise));
      info.inputs.emplace_back(kInputFeatures, options->features);
      info.inputs.emplace_back(kInputLayer, options->layer);
      if (size_factors.size() > 0) {
        info.files.emplace_back("size_factors.tsv",
                                SizeFactorsToTsv(size_factors, model.location.design.observation_names));
      }
      info.command_line = CommandLine();
      writer.Finish(info);
      if (!options->quiet) std::cerr << writer.BriefReport() << "\n";
    };
    if (distribute) return distribute(steps);
    const PreparedFit prepared = steps.prepare();
    Progress progress(!options->quiet);
    steps.write(
        prepared,
        [&](FitOutputWriter& writer) {
          FitChunks(
              prepared.run, prepared.request, prepared.reader,
              [&progress](Index done, Index total) { progress.Update(done, total); },
              [&writer](FitResult& result) { writer.Append(result); });
        },
        prepared.run.chunks.size(), 1);
    return 0;
  };
}

}  // namespace nbglm::cli
