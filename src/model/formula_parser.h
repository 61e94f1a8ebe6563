// The parsing half of nbglm/formula.h (ParseFormula, in formula_parser.cc)
// and what the coding half (formula.cc) shares with it. Internal header.
#ifndef NBGLM_SRC_MODEL_FORMULA_PARSER_H_
#define NBGLM_SRC_MODEL_FORMULA_PARSER_H_

#include <string>

namespace nbglm {

// A column name as R deparses it inside a formula: a syntactic R name as it
// is, anything else (`odd name`, reserved words such as `if`) in backticks.
std::string DeparseName(const std::string& name);

}  // namespace nbglm

#endif  // NBGLM_SRC_MODEL_FORMULA_PARSER_H_
