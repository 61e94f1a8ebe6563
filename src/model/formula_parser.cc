// Formula text → Formula (nbglm/formula.h ParseFormula), reproducing R's
// terms.formula (C code in src/library/stats/src/model.c: EncodeVars,
// TermCode): tokens, a recursive-descent parser of R's formula grammar, and
// the expansion of the operators into terms (docs/formulas.md).
#include "model/formula_parser.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <set>
#include <utility>

#include "nbglm/error.h"
#include "nbglm/formula.h"

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

}  // namespace

// A column name as R deparses it inside a formula: `odd name` needs backticks.
std::string DeparseName(const std::string& name) { return IsSyntacticName(name) ? name : "`" + name + "`"; }

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

}  // namespace nbglm
