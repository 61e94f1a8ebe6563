// Bit-for-bit comparison of fit results (NaN included), shared by the
// tests of chunked fits and of the results a distributed run sends.
#ifndef NBGLM_TESTS_SAME_FIT_H_
#define NBGLM_TESTS_SAME_FIT_H_

#include <gtest/gtest.h>

#include <cstring>

#include "nbglm/fit.h"

namespace nbglm::testing {

// Bit-identical, NaN included.
inline bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

template <typename Array>
inline void ExpectSameBits(const Array& a, const Array& b, const char* what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_TRUE(SameBits(a.data()[k], b.data()[k])) << what << "[" << k << "]: " << a.data()[k] << " vs " << b.data()[k];
  }
}

// Every field the output files hold, and the run's algorithm and threads
// (not its wall time, nor Ceres's termination strings).
inline void ExpectSameFit(const FitResult& got, const FitResult& want) {
  EXPECT_EQ(got.feature_begin, want.feature_begin);
  EXPECT_EQ(got.feature_names, want.feature_names);
  EXPECT_EQ(got.location_names, want.location_names);
  EXPECT_EQ(got.scale_names, want.scale_names);
  ExpectSameBits(got.location_coef, want.location_coef, "location_coef");
  ExpectSameBits(got.scale_coef, want.scale_coef, "scale_coef");
  ExpectSameBits(got.location_se, want.location_se, "location_se");
  ExpectSameBits(got.scale_se, want.scale_se, "scale_se");
  ExpectSameBits(got.reduced_covariance, want.reduced_covariance, "reduced_covariance");
  ASSERT_EQ(got.loglik.size(), want.loglik.size());
  for (std::size_t f = 0; f < want.loglik.size(); ++f) EXPECT_TRUE(SameBits(got.loglik[f], want.loglik[f])) << f;
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.iterations, want.iterations);
  EXPECT_EQ(got.location_trained, want.location_trained);
  EXPECT_EQ(got.scale_trained, want.scale_trained);
  EXPECT_EQ(got.algorithm, want.algorithm);
  EXPECT_EQ(got.num_threads, want.num_threads);
}

}  // namespace nbglm::testing

#endif  // NBGLM_TESTS_SAME_FIT_H_
