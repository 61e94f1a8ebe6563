// R model formulas → designs, reproducing R's terms.formula (C code in
// src/library/stats/src/model.c: EncodeVars, TermCode) and model.matrix; the
// rules are restated in ../shared/reference/formula_coding.md.
#include "nbglm/formula.h"

#include <algorithm>
#include <set>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <utility>

#include "nbglm/error.h"

namespace nbglm {
namespace {

// ---------------------------------------------------------------------------
// Names

bool IsNameStart(unsigned char c) { return std::isalpha(c) || c == '.' || c >= 0x80; }
bool IsNameChar(unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c >= 0x80; }

// R's reserved words cannot be names without backticks.
bool IsReserved(const std::string& name) {
  static const char* const kReserved[] = {"if",   "else", "repeat", "while", "function", "for",
                                          "next", "break", "TRUE",  "FALSE", "NULL",     "Inf",
                                          "NaN",  "NA",   "NA_integer_", "NA_real_", "NA_character_",
                                          "NA_complex_", "in"};
  return std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved);
}

bool IsSyntacticName(const std::string& name) {
  if (name.empty() || !IsNameStart(static_cast<unsigned char>(name[0]))) return false;
  if (name[0] == '.' && name.size() > 1 && std::isdigit(static_cast<unsigned char>(name[1]))) return false;
  for (char c : name) {
    if (!IsNameChar(static_cast<unsigned char>(c))) return false;
  }
  return !IsReserved(name);
}

// A column name as R deparses it inside a formula: `odd name` needs backticks.
std::string DeparseName(const std::string& name) { return IsSyntacticName(name) ? name : "`" + name + "`"; }

// ---------------------------------------------------------------------------
// Tokens

enum class TokenKind { kName, kNumber, kString, kOperator, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;      // name (without backticks), number, string contents, or operator
  std::size_t position;  // 1-based character in the formula
};

class FormulaError {
 public:
  FormulaError(const std::string& what, const std::string& formula) : what_(what), formula_(formula) {}
  [[noreturn]] void Throw(const std::string& problem, std::size_t position) const {
    throw InputError(what_, "'" + formula_ + "'", problem + " at character " + std::to_string(position));
  }
  [[noreturn]] void Throw(const std::string& problem) const { throw InputError(what_, "'" + formula_ + "'", problem); }

 private:
  std::string what_;
  std::string formula_;
};

std::vector<Token> Tokenize(const std::string& text, const FormulaError& error) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const std::size_t position = i + 1;
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    if (std::isdigit(c) || (c == '.' && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      std::size_t end = i;
      while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
      if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
        std::size_t exponent = end + 1;
        if (exponent < text.size() && (text[exponent] == '+' || text[exponent] == '-')) ++exponent;
        if (exponent < text.size() && std::isdigit(static_cast<unsigned char>(text[exponent]))) {
          end = exponent;
          while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
        }
      }
      if (end < text.size() && text[end] == 'L') ++end;  // R's integer suffix: 2L
      tokens.push_back({TokenKind::kNumber, text.substr(i, end - i), position});
      i = end;
      continue;
    }
    if (IsNameStart(c)) {
      std::size_t end = i;
      while (end < text.size() && IsNameChar(static_cast<unsigned char>(text[end]))) ++end;
      tokens.push_back({TokenKind::kName, text.substr(i, end - i), position});
      i = end;
      continue;
    }
    if (c == '`' || c == '"' || c == '\'') {
      const std::size_t close = text.find(static_cast<char>(c), i + 1);
      if (close == std::string::npos) error.Throw(std::string("unterminated ") + static_cast<char>(c), position);
      const std::string contents = text.substr(i + 1, close - i - 1);
      if (c == '`' && contents.empty()) error.Throw("empty name ``", position);
      tokens.push_back({c == '`' ? TokenKind::kName : TokenKind::kString, contents, position});
      i = close + 1;
      continue;
    }
    if (c == '%') {
      const std::size_t close = text.find('%', i + 1);
      const std::string op = close == std::string::npos ? std::string("%") : text.substr(i, close - i + 1);
      error.Throw("unsupported operator '" + op + "' (supported: + - * / : ^ and parentheses)", position);
    }
    if (std::string("~+-*/:^(),").find(static_cast<char>(c)) != std::string::npos) {
      tokens.push_back({TokenKind::kOperator, std::string(1, static_cast<char>(c)), position});
      ++i;
      continue;
    }
    error.Throw(std::string("unexpected character '") + static_cast<char>(c) + "'", position);
  }
  tokens.push_back({TokenKind::kEnd, "", text.size() + 1});
  return tokens;
}

// ---------------------------------------------------------------------------
// Syntax tree

enum class NodeKind { kPlus, kMinus, kUnaryPlus, kUnaryMinus, kCross, kNest, kInteract, kPower, kVariable, kNumber };

struct Node {
  NodeKind kind;
  std::size_t position = 0;
  std::unique_ptr<Node> left, right;  // operands (unary: left only)
  FormulaVariable variable;           // kVariable
  std::string number;                 // kNumber, kPower's exponent
};

// Recursive descent, precedence lowest first: binary + -, unary + -, * /, :,
// ^ (right associative), primaries; as in R except that a unary minus takes
// the whole product after it, so that `- a:b` removes the term a:b, which is
// what people mean (R parses (-a):b, which removes nothing).
class Parser {
 public:
  Parser(std::vector<Token> tokens, const FormulaError& error) : tokens_(std::move(tokens)), error_(error) {}

  std::unique_ptr<Node> ParseFormulaTokens() {
    if (Peek().kind == TokenKind::kOperator && Peek().text == "~") {
      Next();
    } else {
      const std::size_t tilde = FindTilde();
      if (tilde != 0) error_.Throw("a design formula has no response: remove what stands before '~'", 1);
      error_.Throw("a formula starts with '~' (e.g. '~ condition')", Peek().position);
    }
    if (Peek().kind == TokenKind::kEnd) error_.Throw("empty right-hand side after '~'", Peek().position);
    std::unique_ptr<Node> root = ParseSum();
    if (Peek().kind != TokenKind::kEnd) Unexpected(Peek());
    return root;
  }

 private:
  const Token& Peek() const { return tokens_[next_]; }
  const Token& Next() { return tokens_[next_++]; }
  bool IsOperator(const char* op) const { return Peek().kind == TokenKind::kOperator && Peek().text == op; }

  std::size_t FindTilde() const {
    for (const Token& token : tokens_) {
      if (token.kind == TokenKind::kOperator && token.text == "~") return token.position;
    }
    return 0;
  }

  [[noreturn]] void Unexpected(const Token& token) const {
    if (token.kind == TokenKind::kEnd) error_.Throw("unexpected end of formula", token.position);
    error_.Throw("unexpected '" + token.text + "'", token.position);
  }

  static std::unique_ptr<Node> MakeBinary(NodeKind kind, std::size_t position, std::unique_ptr<Node> left,
                                          std::unique_ptr<Node> right) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->position = position;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  std::unique_ptr<Node> ParseSum() {
    std::unique_ptr<Node> left = ParseSigned();
    while (IsOperator("+") || IsOperator("-")) {
      const Token& op = Next();
      left = MakeBinary(op.text == "+" ? NodeKind::kPlus : NodeKind::kMinus, op.position, std::move(left), ParseSigned());
    }
    return left;
  }

  std::unique_ptr<Node> ParseSigned() {
    if (IsOperator("+") || IsOperator("-")) {
      const Token& op = Next();
      return MakeBinary(op.text == "+" ? NodeKind::kUnaryPlus : NodeKind::kUnaryMinus, op.position, ParseSigned(),
                        nullptr);
    }
    return ParseProduct();
  }

  std::unique_ptr<Node> ParseProduct() {
    std::unique_ptr<Node> left = ParseInteraction();
    while (IsOperator("*") || IsOperator("/")) {
      const Token& op = Next();
      left = MakeBinary(op.text == "*" ? NodeKind::kCross : NodeKind::kNest, op.position, std::move(left),
                        ParseInteraction());
    }
    return left;
  }

  std::unique_ptr<Node> ParseInteraction() {
    std::unique_ptr<Node> left = ParsePower();
    while (IsOperator(":")) {
      const Token& op = Next();
      left = MakeBinary(NodeKind::kInteract, op.position, std::move(left), ParsePower());
    }
    return left;
  }

  std::unique_ptr<Node> ParsePower() {
    std::unique_ptr<Node> base = ParsePrimary();
    if (!IsOperator("^")) return base;
    const Token& op = Next();
    const Token& exponent = Peek();
    if (exponent.kind != TokenKind::kNumber) error_.Throw("'^' needs a positive integer power, as in (a + b)^2", exponent.position);
    Next();
    std::string digits = exponent.text;
    if (!digits.empty() && digits.back() == 'L') digits.pop_back();
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(digits) == 0) {
      error_.Throw("'^' needs a positive integer power, as in (a + b)^2 (got " + exponent.text + ")",
                   exponent.position);
    }
    auto node = MakeBinary(NodeKind::kPower, op.position, std::move(base), nullptr);
    node->number = digits;
    return node;
  }

  std::unique_ptr<Node> ParsePrimary() {
    const Token& token = Peek();
    if (token.kind == TokenKind::kOperator && token.text == "(") {
      Next();
      std::unique_ptr<Node> inner = ParseSum();
      if (!IsOperator(")")) Unexpected(Peek());
      Next();
      return inner;
    }
    if (token.kind == TokenKind::kNumber) {
      Next();
      std::string value = token.text;
      if (!value.empty() && value.back() == 'L') value.pop_back();
      // Only 0 and 1 mean something (the intercept); strtod never throws.
      const double number = std::strtod(value.c_str(), nullptr);
      const bool zero = number == 0.0;
      const bool one = number == 1.0;
      if (!zero && !one) error_.Throw("a number in a formula can only be 0 or 1 (the intercept)", token.position);
      auto node = std::make_unique<Node>();
      node->kind = NodeKind::kNumber;
      node->position = token.position;
      node->number = zero ? "0" : "1";
      return node;
    }
    if (token.kind == TokenKind::kName) {
      auto node = std::make_unique<Node>();
      node->kind = NodeKind::kVariable;
      node->position = token.position;
      node->variable = ParseVariable();
      return node;
    }
    Unexpected(token);
  }

  // name | factor(variable) | as.factor(variable) | C(variable, contrast)
  FormulaVariable ParseVariable() {
    const Token name = Next();
    if (!IsOperator("(")) {
      FormulaVariable variable;
      variable.column = name.text;
      variable.name = DeparseName(name.text);
      return variable;
    }
    Next();  // (
    const std::string& function = name.text;
    if (function != "factor" && function != "as.factor" && function != "C") {
      error_.Throw("unsupported function '" + function + "()' (supported: factor(), as.factor(), C(x, Sum))",
                   name.position);
    }
    if (Peek().kind != TokenKind::kName) {
      error_.Throw(function + "() takes a column name", Peek().position);
    }
    FormulaVariable variable = ParseVariable();
    variable.as_factor = true;
    if (function == "C") {
      if (!IsOperator(",")) error_.Throw("C() takes a column and a contrast, as in C(x, Sum)", Peek().position);
      Next();
      const Token contrast = Next();
      std::string deparsed;
      if (contrast.kind == TokenKind::kName) {
        deparsed = DeparseName(contrast.text);
      } else if (contrast.kind == TokenKind::kString) {
        deparsed = "\"" + contrast.text + "\"";
      } else {
        error_.Throw("C() needs a contrast name (Sum or Treatment)", contrast.position);
      }
      const std::string& c = contrast.text;
      if (c == "Sum" || c == "sum" || c == "contr.sum") {
        variable.contrast = ContrastKind::kSum;
      } else if (c == "Treatment" || c == "treatment" || c == "contr.treatment") {
        variable.contrast = ContrastKind::kTreatment;
      } else {
        error_.Throw("unsupported contrast '" + c + "' (supported: Sum, Treatment)", contrast.position);
      }
      variable.name = "C(" + variable.name + ", " + deparsed + ")";
    } else {
      // factor() builds a new factor: an inner C()'s contrast is dropped, as in R.
      variable.contrast = ContrastKind::kTreatment;
      variable.name = function + "(" + variable.name + ")";
    }
    if (!IsOperator(")")) {
      error_.Throw(IsOperator(",") ? function + "() takes " + (function == "C" ? "two arguments" : "one argument")
                                   : "expected ')'",
                   Peek().position);
    }
    Next();
    return variable;
  }

  std::vector<Token> tokens_;
  std::size_t next_ = 0;
  const FormulaError& error_;
};

// ---------------------------------------------------------------------------
// Terms (R's EncodeVars): a term is the sorted set of its variables' indices.

using Term = std::vector<int>;

Term Union(const Term& a, const Term& b) {
  Term result;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(result));
  return result;
}

// The most terms a formula may expand to. Each term is at least one design
// column, so more is no model one can fit; the limit also bounds the work of
// expanding `(a * b * …)^k`, which grows combinatorially (found by fuzzing:
// an 86-character formula that took minutes).
constexpr std::size_t kMaxTerms = 4096;

// R's TrimRepeats: drops empty terms and repeats, keeping first occurrences.
std::vector<Term> TrimRepeats(const std::vector<Term>& terms) {
  std::vector<Term> kept;
  std::set<Term> seen;
  for (const Term& term : terms) {
    if (!term.empty() && seen.insert(term).second) kept.push_back(term);
  }
  return kept;
}

class TermEncoder {
 public:
  TermEncoder(Formula* formula, const FormulaError& error) : formula_(formula), error_(error) {}

  std::vector<Term> Encode(const Node& node) {
    switch (node.kind) {
      case NodeKind::kNumber:
        // `1` keeps the intercept, `0` drops it; inside the right side of a
        // minus (parity flipped) the other way round.
        formula_->intercept = (node.number == "1") == keep_parity_;
        return {};
      case NodeKind::kVariable:
        return {{Install(node.variable)}};
      case NodeKind::kUnaryPlus:
        return Encode(*node.left);
      case NodeKind::kUnaryMinus:
        return Delete({}, *node.left);
      case NodeKind::kPlus: {
        std::vector<Term> terms = Encode(*node.left);
        const std::vector<Term> right = Encode(*node.right);
        terms.insert(terms.end(), right.begin(), right.end());
        return TrimRepeats(terms);
      }
      case NodeKind::kMinus:
        return Delete(Encode(*node.left), *node.right);
      case NodeKind::kInteract: {
        const std::vector<Term> left = EncodeOperand(*node.left, node);
        const std::vector<Term> right = EncodeOperand(*node.right, node);
        return TrimRepeats(Products(left, right));
      }
      case NodeKind::kCross: {
        std::vector<Term> terms = EncodeOperand(*node.left, node);
        const std::vector<Term> right = EncodeOperand(*node.right, node);
        const std::vector<Term> products = Products(terms, right);
        terms.insert(terms.end(), right.begin(), right.end());
        terms.insert(terms.end(), products.begin(), products.end());
        return TrimRepeats(terms);
      }
      case NodeKind::kNest: {
        // a/b = a + (all of a's variables):b
        std::vector<Term> terms = EncodeOperand(*node.left, node);
        Term all_left;
        for (const Term& term : terms) all_left = Union(all_left, term);
        for (Term term : EncodeOperand(*node.right, node)) terms.push_back(Union(all_left, term));
        return TrimRepeats(terms);
      }
      case NodeKind::kPower: {
        // R's PowerTerms: right = left; repeat power−1 times: right = left × right.
        const std::vector<Term> base = EncodeOperand(*node.left, node);
        std::vector<Term> terms = TrimRepeats(base);
        const int power = std::stoi(node.number);
        for (int k = 1; k < power && terms.size() <= kMaxTerms; ++k) terms = TrimRepeats(Products(base, terms));
        if (terms.size() > kMaxTerms) error_.Throw("expands to more than " + std::to_string(kMaxTerms) + " terms");
        return terms;
      }
    }
    return {};
  }

 private:
  int Install(const FormulaVariable& variable) {
    for (std::size_t k = 0; k < formula_->variables.size(); ++k) {
      if (formula_->variables[k].name == variable.name) return static_cast<int>(k);
    }
    formula_->variables.push_back(variable);
    return static_cast<int>(formula_->variables.size() - 1);
  }

  std::vector<Term> EncodeOperand(const Node& operand, const Node& op) {
    if (operand.kind == NodeKind::kNumber) {
      error_.Throw("the intercept (0 or 1) can only be added or removed with + and -", op.position);
    }
    return Encode(operand);
  }

  // Every union of a term of `left` with a term of `right`, left outer.
  std::vector<Term> Products(const std::vector<Term>& left, const std::vector<Term>& right) const {
    if (left.size() > kMaxTerms || right.size() > kMaxTerms || left.size() * right.size() > 16 * kMaxTerms) {
      error_.Throw("expands to more than " + std::to_string(kMaxTerms) + " terms");
    }
    std::vector<Term> products;
    for (const Term& l : left) {
      for (const Term& r : right) products.push_back(Union(l, r));
    }
    return products;
  }

  std::vector<Term> Delete(std::vector<Term> left, const Node& removed) {
    keep_parity_ = !keep_parity_;
    const std::vector<Term> right = Encode(removed);
    keep_parity_ = !keep_parity_;
    for (const Term& term : right) left.erase(std::remove(left.begin(), left.end(), term), left.end());
    return left;
  }

  Formula* formula_;
  const FormulaError& error_;
  bool keep_parity_ = true;
};

// ---------------------------------------------------------------------------
// Coding

// One variable's values as model.matrix sees them.
struct VariableData {
  bool categorical = false;
  std::vector<double> numbers;  // numeric
  FactorLevels factor;          // categorical, releveled
};

// One column of a variable's coding: the suffix after the variable's name
// ("q" for level q, "1" for a sum contrast, "" for a number) and its values.
struct CodedColumn {
  std::string suffix;
  std::vector<double> values;
};

enum class Coding { kContrasts, kIndicators };

std::string LevelList(const std::vector<std::string>& levels) {
  std::string list;
  for (std::size_t k = 0; k < levels.size() && k < 20; ++k) list += (k ? ", " : "") + levels[k];
  if (levels.size() > 20) list += ", …";
  return list;
}

// R's relevel(): `level` moves to the front, the others keep their order.
void Relevel(const std::string& level, FactorLevels* factor) {
  const auto found = std::find(factor->levels.begin(), factor->levels.end(), level);
  const int old_index = static_cast<int>(found - factor->levels.begin());
  factor->levels.erase(found);
  factor->levels.insert(factor->levels.begin(), level);
  for (int& code : factor->codes) {
    if (code == old_index) {
      code = 0;
    } else if (code >= 0 && code < old_index) {
      ++code;
    }
  }
}

void CheckNoMissing(const SampleTable& samples, const SampleColumn& column, const std::string& what) {
  for (std::size_t i = 0; i < column.missing.size(); ++i) {
    if (column.missing[i]) {
      throw InputError(samples.Where(i), "column '" + column.name + "', value '" + column.text[i] + "'",
                       "a missing value in a variable of " + what +
                           " (R would drop the observation; remove it from the sheet or fill it in)");
    }
  }
}

VariableData ResolveVariable(const SampleTable& samples, const FormulaVariable& variable,
                             const FormulaOptions& options, const std::string& what) {
  const SampleColumn& column = samples.Get(variable.column, what);
  CheckNoMissing(samples, column, what);
  VariableData data;
  data.categorical = variable.as_factor || column.is_categorical();
  if (!data.categorical) {
    for (std::size_t i = 0; i < column.numbers.size(); ++i) {
      if (!std::isfinite(column.numbers[i])) {
        throw InputError(samples.Where(i), "column '" + column.name + "', value '" + column.text[i] + "'",
                         "a numeric variable of " + what + " must be finite");
      }
    }
    data.numbers = column.numbers;
    return data;
  }
  data.factor = AsFactor(column);
  const auto reference = options.reference_levels.find(column.name);
  if (reference != options.reference_levels.end()) Relevel(reference->second, &data.factor);
  return data;
}

std::vector<CodedColumn> CodeVariable(const FormulaVariable& variable, const VariableData& data, Coding coding,
                                      const std::string& what) {
  std::vector<CodedColumn> columns;
  if (!data.categorical) {
    columns.push_back({"", data.numbers});
    return columns;
  }
  const std::vector<std::string>& levels = data.factor.levels;
  const std::vector<int>& codes = data.factor.codes;
  const std::size_t n = codes.size();
  const int k = static_cast<int>(levels.size());
  if (coding == Coding::kIndicators) {
    for (int level = 0; level < k; ++level) {
      CodedColumn column{levels[static_cast<std::size_t>(level)], std::vector<double>(n, 0.0)};
      for (std::size_t i = 0; i < n; ++i) column.values[i] = codes[i] == level ? 1.0 : 0.0;
      columns.push_back(std::move(column));
    }
    return columns;
  }
  if (k < 2) {
    throw InputError(what, "'" + variable.name + "'",
                     "has one level ('" + LevelList(levels) +
                         "'); contrasts need a factor with at least 2 levels (drop the term)");
  }
  if (variable.contrast == ContrastKind::kTreatment) {
    // contr.treatment: one indicator per level but the first (the reference).
    for (int level = 1; level < k; ++level) {
      CodedColumn column{levels[static_cast<std::size_t>(level)], std::vector<double>(n, 0.0)};
      for (std::size_t i = 0; i < n; ++i) column.values[i] = codes[i] == level ? 1.0 : 0.0;
      columns.push_back(std::move(column));
    }
  } else {
    // contr.sum: column j is +1 at level j, −1 at the last level; the matrix
    // has no column names, so R numbers them 1 … k−1.
    for (int j = 0; j + 1 < k; ++j) {
      CodedColumn column{std::to_string(j + 1), std::vector<double>(n, 0.0)};
      for (std::size_t i = 0; i < n; ++i) column.values[i] = codes[i] == j ? 1.0 : (codes[i] == k - 1 ? -1.0 : 0.0);
      columns.push_back(std::move(column));
    }
  }
  return columns;
}

// R's TermCode: variable v of term `term` (index t in the sorted list) is
// coded by contrasts when the term without v is empty or contained in an
// earlier term; otherwise by indicators.
Coding TermCoding(const std::vector<Term>& terms, std::size_t t, int v) {
  Term rest;
  for (int u : terms[t]) {
    if (u != v) rest.push_back(u);
  }
  if (rest.empty()) return Coding::kContrasts;
  for (std::size_t earlier = 0; earlier < t; ++earlier) {
    if (std::includes(terms[earlier].begin(), terms[earlier].end(), rest.begin(), rest.end())) {
      return Coding::kContrasts;
    }
  }
  return Coding::kIndicators;
}

void ValidateReferenceLevels(const SampleTable& samples, const FormulaOptions& options) {
  for (const auto& [column_name, level] : options.reference_levels) {
    const std::string where = "--ref " + column_name + "=" + level;
    const SampleColumn& column = samples.Get(column_name, where);
    const FactorLevels factor = AsFactor(column);
    if (std::find(factor.levels.begin(), factor.levels.end(), level) == factor.levels.end()) {
      throw InputError(where, "'" + level + "'",
                       "not a level of column '" + column_name + "' of " + samples.path + " (levels: " +
                           LevelList(factor.levels) + ")");
    }
  }
}

}  // namespace

std::string Formula::TermLabel(std::size_t term) const {
  std::string label;
  for (int v : terms[term]) label += (label.empty() ? "" : ":") + variables[static_cast<std::size_t>(v)].name;
  return label;
}

Formula ParseFormula(const std::string& text, const std::string& what) {
  const FormulaError error(what, text);
  Parser parser(Tokenize(text, error), error);
  const std::unique_ptr<Node> root = parser.ParseFormulaTokens();
  Formula formula;
  formula.text = text;
  TermEncoder encoder(&formula, error);
  std::vector<Term> terms = encoder.Encode(*root);
  // Terms sorted by order (number of variables), formula order within one order.
  std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) { return a.size() < b.size(); });
  formula.terms = std::move(terms);
  return formula;
}

Design BuildFormulaDesign(const SampleTable& samples, const std::string& formula, const FormulaOptions& options,
                          const std::string& what) {
  return BuildFormulaDesign(samples, ParseFormula(formula, what), options, what);
}

Design BuildFormulaDesign(const SampleTable& samples, const Formula& formula, const FormulaOptions& options,
                          const std::string& what) {
  ValidateReferenceLevels(samples, options);
  const std::size_t n = samples.observation_names.size();
  const std::size_t num_variables = formula.variables.size();
  std::vector<VariableData> data;
  for (const FormulaVariable& variable : formula.variables) data.push_back(ResolveVariable(samples, variable, options, what));

  // The factor pattern: coding per term per variable.
  std::vector<std::vector<Coding>> coding(formula.terms.size(), std::vector<Coding>(num_variables, Coding::kContrasts));
  for (std::size_t t = 0; t < formula.terms.size(); ++t) {
    for (int v : formula.terms[t]) coding[t][static_cast<std::size_t>(v)] = TermCoding(formula.terms, t, v);
  }
  // Without an intercept, the first factor (with more than one level) of the
  // first term that has one is coded by indicators, so that its levels span
  // the intercept (model.c, "alldone").
  if (!formula.intercept) {
    bool done = false;
    for (std::size_t t = 0; t < formula.terms.size() && !done; ++t) {
      for (int v : formula.terms[t]) {
        const VariableData& d = data[static_cast<std::size_t>(v)];
        if (d.categorical && d.factor.levels.size() > 1) {
          coding[t][static_cast<std::size_t>(v)] = Coding::kIndicators;
          done = true;
          break;
        }
      }
    }
  }
  // Factors that nesting constraints sum to zero: their main effect gets all
  // its levels (the constraints, not a dropped reference, identify it).
  for (const std::string& factor : options.indicator_factors) {
    const SampleColumn& column = samples.Get(factor, what);
    if (!column.is_categorical()) {
      throw InputError(what, "'" + factor + "'",
                       "a nested factor must be a factor column; it is numeric in " + samples.path +
                           " (give its levels names, e.g. r1, r2)");
    }
    bool found = false;
    for (std::size_t t = 0; t < formula.terms.size() && !found; ++t) {
      if (formula.terms[t].size() != 1) continue;
      const FormulaVariable& variable = formula.variables[static_cast<std::size_t>(formula.terms[t][0])];
      if (variable.column == factor && !variable.as_factor) {
        coding[t][static_cast<std::size_t>(formula.terms[t][0])] = Coding::kIndicators;
        found = true;
      }
    }
    if (!found) {
      throw InputError(what, "'" + factor + "'",
                       "nesting needs the main-effect term " + DeparseName(factor) + " in the formula (e.g. '~ " +
                           DeparseName(factor) + " + …')");
    }
  }

  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
  if (formula.intercept) {
    names.push_back("(Intercept)");
    columns.emplace_back(n, 1.0);
  }
  for (std::size_t t = 0; t < formula.terms.size(); ++t) {
    // Products of the variables' coded columns, the first variable varying fastest.
    std::vector<CodedColumn> product = {{"", std::vector<double>(n, 1.0)}};
    for (int v : formula.terms[t]) {
      const FormulaVariable& variable = formula.variables[static_cast<std::size_t>(v)];
      const std::vector<CodedColumn> coded =
          CodeVariable(variable, data[static_cast<std::size_t>(v)], coding[t][static_cast<std::size_t>(v)], what);
      std::vector<CodedColumn> next;
      for (const CodedColumn& outer : coded) {
        for (const CodedColumn& inner : product) {
          CodedColumn column;
          const std::string part = variable.name + outer.suffix;
          column.suffix = inner.suffix.empty() ? part : inner.suffix + ":" + part;
          column.values.resize(n);
          for (std::size_t i = 0; i < n; ++i) column.values[i] = inner.values[i] * outer.values[i];
          next.push_back(std::move(column));
        }
      }
      product = std::move(next);
    }
    for (CodedColumn& column : product) {
      names.push_back(column.suffix);
      columns.push_back(std::move(column.values));
    }
  }
  if (columns.empty()) {
    throw InputError(what, "'" + formula.text + "'", "no columns: a design needs an intercept or a term");
  }
  Design design;
  design.observation_names = samples.observation_names;
  design.parameter_names = std::move(names);
  design.values = Matrix::from_shape({n, columns.size()});
  for (std::size_t j = 0; j < columns.size(); ++j) {
    for (std::size_t i = 0; i < n; ++i) design.values(i, j) = columns[j][i];
  }
  design.Validate(what);
  return design;
}

Design FactorIndicatorDesign(const SampleTable& samples, const std::string& column_name, const std::string& what) {
  const SampleColumn& column = samples.Get(column_name, what);
  CheckNoMissing(samples, column, what);
  FormulaVariable variable;
  variable.column = column_name;
  variable.name = DeparseName(column_name);
  VariableData data;
  data.categorical = true;
  data.factor = AsFactor(column);
  std::vector<CodedColumn> coded = CodeVariable(variable, data, Coding::kIndicators, what);
  const std::size_t n = samples.observation_names.size();
  Design design;
  design.observation_names = samples.observation_names;
  design.values = Matrix::from_shape({n, coded.size()});
  for (std::size_t j = 0; j < coded.size(); ++j) {
    design.parameter_names.push_back(variable.name + coded[j].suffix);
    for (std::size_t i = 0; i < n; ++i) design.values(i, j) = coded[j].values[i];
  }
  design.Validate(what);
  return design;
}

std::map<std::string, std::string> ParseReferenceLevels(const std::vector<std::string>& specs,
                                                        const std::string& what) {
  std::map<std::string, std::string> levels;
  for (const std::string& spec : specs) {
    const std::size_t equals = spec.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size()) {
      throw InputError(what, "'" + spec + "'", "must be FACTOR=LEVEL (e.g. condition=untreated)");
    }
    const std::string factor = spec.substr(0, equals);
    const std::string level = spec.substr(equals + 1);
    const auto [it, inserted] = levels.emplace(factor, level);
    if (!inserted && it->second != level) {
      throw InputError(what, "'" + spec + "'", "factor '" + factor + "' already has reference level '" + it->second + "'");
    }
  }
  return levels;
}

Nesting ParseNesting(const std::string& spec, const std::string& what) {
  const std::size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size() ||
      spec.find(':', colon + 1) != std::string::npos) {
    throw InputError(what, "'" + spec + "'", "must be F:G (factor F nested in factor G, e.g. bio_rep:condition)");
  }
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

void AddNestingConstraints(const SampleTable& samples, const Nesting& nesting, const std::string& what,
                           ConstraintSet* constraints) {
  const SampleColumn& nested = samples.Get(nesting.nested, what);
  const SampleColumn& within = samples.Get(nesting.within, what);
  if (!nested.is_categorical()) {
    throw InputError(what, "'" + nesting.nested + "'",
                     "a nested factor must be a factor column; it is numeric in " + samples.path);
  }
  CheckNoMissing(samples, nested, what);
  CheckNoMissing(samples, within, what);
  const FactorLevels nested_factor = AsFactor(nested);
  const FactorLevels within_factor = AsFactor(within);
  std::vector<std::string> nested_values, within_values;
  for (std::size_t i = 0; i < samples.observation_names.size(); ++i) {
    nested_values.push_back(nested_factor.levels[static_cast<std::size_t>(nested_factor.codes[i])]);
    within_values.push_back(within_factor.levels[static_cast<std::size_t>(within_factor.codes[i])]);
  }
  constraints->AddNesting(nested_values, within_values, DeparseName(nesting.nested), what);
}

}  // namespace nbglm
