#include "distributed/fit_blocks.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "nbglm/error.h"

namespace nbglm::distributed {

std::vector<Index> BalancedBlocks(const CountReader& reader, Index begin, Index end, int ranks) {
  if (ranks < 1) throw InputError("ranks", std::to_string(ranks), "must be >= 1");
  std::vector<Index> bounds(static_cast<std::size_t>(ranks) + 1, end);
  bounds[0] = begin;
  if (end <= begin) return bounds;
  const auto work = [&reader](Index f) { return reader.Nonzeros(f, f + 1) + 1; };
  std::int64_t total = 0;
  for (Index f = begin; f < end; ++f) total += work(f);
  // Block r starts at the feature whose preceding work is nearest to
  // r/ranks of the total (on a tie, the later feature),
  // compared as w * ranks against r * total: exact in 64 bits below this
  // bound (9.2e18 / ranks non-zeros; no input on today's disks nears it).
  if (total > std::numeric_limits<std::int64_t>::max() / ranks) {
    throw InputError("ranks", std::to_string(ranks), "too many for " + std::to_string(total) + " non-zeros");
  }
  std::int64_t before = 0, previous = 0;  // work before f, and before f - 1
  int next = 1;
  for (Index f = begin; f <= end && next < ranks; ++f) {
    while (next < ranks && before * ranks >= static_cast<std::int64_t>(next) * total) {
      const std::int64_t target = static_cast<std::int64_t>(next) * total;
      const bool earlier = f > begin && target - previous * ranks < before * ranks - target;
      bounds[static_cast<std::size_t>(next++)] = earlier ? f - 1 : f;
    }
    previous = before;
    if (f < end) before += work(f);
  }
  return bounds;
}

namespace {

template <typename T>
void Put(const T& value, std::string* bytes) {
  static_assert(std::is_trivially_copyable_v<T>);
  bytes->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
void PutArray(const T* data, std::size_t count, std::string* bytes) {
  static_assert(std::is_trivially_copyable_v<T>);
  Put<std::uint64_t>(count, bytes);
  bytes->append(reinterpret_cast<const char*>(data), count * sizeof(T));
}

void PutStrings(const std::vector<std::string>& strings, std::string* bytes) {
  Put<std::uint64_t>(strings.size(), bytes);
  for (const std::string& s : strings) PutArray(s.data(), s.size(), bytes);
}

// Reads what Put wrote, refusing to run past the end.
class Cursor {
 public:
  Cursor(const std::string& bytes, const std::string& what) : bytes_(bytes), what_(what) {}
  bool AtEnd() const { return at_ == bytes_.size(); }
  template <typename T>
  T Get() {
    T value;
    std::memcpy(&value, Take(sizeof(T)), sizeof(T));
    return value;
  }
  template <typename T>
  std::vector<T> GetArray() {
    const std::uint64_t count = Get<std::uint64_t>();
    if (count > (bytes_.size() - at_) / sizeof(T)) Fail("an array longer than the bytes left");
    std::vector<T> values(count);
    if (count > 0) std::memcpy(values.data(), Take(count * sizeof(T)), count * sizeof(T));
    return values;
  }
  std::vector<std::string> GetStrings() {
    const std::uint64_t count = Get<std::uint64_t>();
    if (count > bytes_.size() - at_) Fail("more strings than bytes left");
    std::vector<std::string> strings;
    strings.reserve(count);
    for (std::uint64_t k = 0; k < count; ++k) {
      const std::vector<char> chars = GetArray<char>();
      strings.emplace_back(chars.begin(), chars.end());
    }
    return strings;
  }
  [[noreturn]] void Fail(const std::string& rule) const {
    throw InputError(what_, "byte " + std::to_string(at_), rule);
  }

 private:
  const char* Take(std::size_t n) {
    if (n > bytes_.size() - at_) Fail("the results end early");
    const char* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  const std::string& bytes_;
  const std::string& what_;
  std::size_t at_ = 0;
};

template <std::size_t N>
void PutTensor(const xt::xtensor<double, N>& t, std::string* bytes) {
  for (std::size_t d = 0; d < N; ++d) Put<std::uint64_t>(t.shape(d), bytes);
  PutArray(t.data(), t.size(), bytes);
}

template <std::size_t N>
xt::xtensor<double, N> GetTensor(Cursor* in) {
  std::array<std::size_t, N> shape;
  std::size_t size = 1;
  for (std::size_t d = 0; d < N; ++d) {
    shape[d] = in->Get<std::uint64_t>();
    size *= shape[d];
  }
  const std::vector<double> values = in->GetArray<double>();
  if (values.size() != size) in->Fail("a table whose values do not match its shape");
  xt::xtensor<double, N> t = xt::xtensor<double, N>::from_shape(shape);
  std::copy(values.begin(), values.end(), t.begin());
  return t;
}

}  // namespace

void AppendFitResult(const FitResult& r, std::string* bytes) {
  PutStrings(r.feature_names, bytes);
  PutStrings(r.location_names, bytes);
  PutStrings(r.scale_names, bytes);
  PutTensor(r.location_coef, bytes);
  PutTensor(r.scale_coef, bytes);
  PutTensor(r.location_se, bytes);
  PutTensor(r.scale_se, bytes);
  PutTensor(r.reduced_covariance, bytes);
  PutArray(r.loglik.data(), r.loglik.size(), bytes);
  PutArray(r.status.data(), r.status.size(), bytes);
  PutStrings(r.solver_termination, bytes);
  PutArray(r.iterations.data(), r.iterations.size(), bytes);
  PutArray(r.location_trained.data(), r.location_trained.size(), bytes);
  PutArray(r.scale_trained.data(), r.scale_trained.size(), bytes);
  Put<std::int32_t>(static_cast<std::int32_t>(r.algorithm), bytes);
  Put<std::int32_t>(r.num_threads, bytes);
  Put<double>(r.wall_seconds, bytes);
  Put<std::int64_t>(r.feature_begin, bytes);
}

std::vector<FitResult> ReadFitResults(const std::string& bytes, const std::string& what) {
  Cursor in(bytes, what);
  std::vector<FitResult> results;
  while (!in.AtEnd()) {
    FitResult r;
    r.feature_names = in.GetStrings();
    r.location_names = in.GetStrings();
    r.scale_names = in.GetStrings();
    r.location_coef = GetTensor<2>(&in);
    r.scale_coef = GetTensor<2>(&in);
    r.location_se = GetTensor<2>(&in);
    r.scale_se = GetTensor<2>(&in);
    r.reduced_covariance = GetTensor<3>(&in);
    r.loglik = in.GetArray<double>();
    r.status = in.GetArray<FeatureStatus>();
    for (const FeatureStatus status : r.status) {
      if (static_cast<int>(status) > static_cast<int>(FeatureStatus::kAtBound)) in.Fail("an unknown status");
    }
    r.solver_termination = in.GetStrings();
    r.iterations = in.GetArray<int>();
    r.location_trained = in.GetArray<std::uint8_t>();
    r.scale_trained = in.GetArray<std::uint8_t>();
    const std::int32_t algorithm = in.Get<std::int32_t>();
    if (algorithm < 0 || algorithm > static_cast<std::int32_t>(Algorithm::kCeres)) in.Fail("an unknown algorithm");
    r.algorithm = static_cast<Algorithm>(algorithm);
    r.num_threads = in.Get<std::int32_t>();
    r.wall_seconds = in.Get<double>();
    r.feature_begin = static_cast<Index>(in.Get<std::int64_t>());
    const std::size_t n = r.feature_names.size();
    for (const std::size_t rows : {r.location_coef.shape(0), r.scale_coef.shape(0), r.location_se.shape(0),
                                   r.scale_se.shape(0), r.reduced_covariance.shape(0), r.loglik.size(),
                                   r.status.size(), r.iterations.size(), r.location_trained.size(),
                                   r.scale_trained.size()}) {
      if (rows != n) in.Fail("per-feature fields of different lengths");
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace nbglm::distributed
