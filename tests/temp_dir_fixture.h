// For unit tests that read files: a fresh temporary directory per test,
// removed afterwards, with Write(name, text) returning the file's path; and
// text compressed as one gzip member (zlib's gzip wrapper).
#ifndef NBGLM_TESTS_TEMP_DIR_FIXTURE_H_
#define NBGLM_TESTS_TEMP_DIR_FIXTURE_H_

#include <zlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "cli_runner.h"

namespace nbglm::testing {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("unit");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    WriteText(path, text);
    return path;
  }
  std::string dir_;
};

inline std::string Gzip(const std::string& text) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, static_cast<uLong>(text.size())) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

}  // namespace nbglm::testing

#endif  // NBGLM_TESTS_TEMP_DIR_FIXTURE_H_
