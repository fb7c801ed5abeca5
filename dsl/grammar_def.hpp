// The .tl grammar (Boost.Spirit X3). Each rule carries its EBNF in a comment.
// Rules commit with expectation points (`>`) as soon as a construct is
// recognised, so a syntax error says "expected <human name of the rule>" at
// the exact spot. Each rule's name is that human name.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "dsl/ast.hpp"
#include "dsl/ast_adapted.hpp"

namespace tl::dsl::grammar {

namespace x3 = boost::spirit::x3;
using x3::alnum;
using x3::alpha;
using x3::char_;
using x3::eoi;
using x3::eol;
using x3::lexeme;
using x3::lit;
using x3::raw;

/// Context key under which parse() stores the start of the text, so that
/// annotate_offset can turn iterators into byte offsets.
struct source_begin_tag;

/// on_success handler: records the byte range of every Located node.
struct annotate_offset {
  template <typename Iterator, typename Attr, typename Context>
  void on_success(Iterator const& first, Iterator const& last, Attr& node, Context const& context) const {
    if constexpr (std::is_base_of_v<ast::Located, Attr>) {
      auto const& begin = x3::get<source_begin_tag>(context);
      node.offset = static_cast<std::uint32_t>(first - begin);
      node.length = static_cast<std::uint32_t>(last - first);
    }
  }
};

// Numbers: no "nan"/"inf" spellings (they would swallow identifiers).
struct number_policies : x3::real_policies<double> {
  template <typename Iterator, typename Attribute>
  static bool parse_nan(Iterator&, Iterator const&, Attribute&) { return false; }
  template <typename Iterator, typename Attribute>
  static bool parse_inf(Iterator&, Iterator const&, Attribute&) { return false; }
};
x3::real_parser<double, number_policies> const real_ = {};

/// A keyword: the word, not followed by more identifier characters.
inline auto kw(char const* word) { return lexeme[lit(word) >> !(alnum | '_')]; }
/// A statement's first word, unless it is a name being assigned (`train = ...`).
inline auto statement_kw(char const* word) { return kw(word) >> !(lit('=') >> !lit('=')); }

// Words that structure statements and pipelines; never usable as names. The
// words that start statements (model, split, train, evaluate, compare,
// summary, seed) are not among them: `train = ...` or `split d into train
// 0.8, test 0.2` name things `train`, because a statement's keyword is only
// one when no '=' follows it (statement_kw).
inline constexpr const char* reserved_words[] = {
    "into", "shuffled", "stratified", "augment", "on", "from", "where", "relabel", "scale", "normalize", "take", "drop", "cut",
    "append", "freeze", "unfreeze", "reinit", "and", "or", "not", "in", "label"};
struct reserved_table : x3::symbols<> {
  reserved_table() {
    for (const char* word : reserved_words) add(word);
  }
};
auto const reserved = lexeme[reserved_table{} >> !(alnum | '_')];


// Skipper: whitespace and '#' comments to the end of the line.
auto const skipper = x3::space | lexeme['#' >> *(char_ - eol) >> (eol | eoi)];

// --- rule declarations (names are what "expected ..." says) -------------------
// Single-field AST structs are filled through a rule whose attribute is that
// field's type (X3 cannot pass a one-element struct into a sequence).
x3::rule<class word_r, std::string> const word = "a name";
x3::rule<class ident_r, std::string> const ident = "a name";
x3::rule<class dims_values_r, std::vector<unsigned>> const dims_values = "dimensions such as 3x3";
x3::rule<class string_body_r, std::string> const string_body = "a string";
x3::rule<class path_parts_r, std::vector<std::string>> const path_parts = "a name";
x3::rule<class and_terms_r, std::vector<ast::PredAtom>> const and_terms = "a label predicate such as label < 7";
x3::rule<class or_terms_r, std::vector<ast::PredAnd>> const or_terms = "a label predicate such as label < 7";
x3::rule<class map_entries_r, std::vector<ast::MapEntry>> const map_entries = "a label map such as {7: 0, 8: 1}";
x3::rule<class block_lines_r, std::vector<x3::forward_ast<ast::LayerLine>>> const block_lines =
    "a block of layers in braces";
x3::rule<class layer_block_r, ast::LayerBlock> const layer_block = "a block of layers in braces";
x3::rule<class names_r, std::vector<ast::Name>> const names = "layer names, all or reused";
x3::rule<class name_list_r, ast::NameList> const name_list = "layer names, all or reused";
x3::rule<class layer_factor_r, ast::LayerFactor> const layer_factor = "a layer and a factor such as dense: 0.1";
x3::rule<class factor_entries_r, std::vector<ast::LayerFactor>> const factor_entries =
    "layer factors such as {conv2d: 0.1, dense: 0.5}";
x3::rule<class layer_factors_r, ast::LayerFactors> const layer_factors =
    "layer factors such as {conv2d: 0.1, dense: 0.5}";
x3::rule<class mean_std_r, ast::MeanStd> const mean_std = "a mean and a standard deviation such as mean 0.1307 std 0.3081";
x3::rule<class from_parts_r, std::vector<std::string>> const from_parts = "'from' and a dataset";
x3::rule<class normalize_from_r, ast::NormalizeFrom> const normalize_from = "'from' and a dataset";
x3::rule<class normalize_arg_r, ast::StageArg> const normalize_arg =
    "a mean and a standard deviation such as mean 0.1307 std 0.3081, or 'from' and a dataset";
x3::rule<class name_r, ast::Name> const name = "a name";
x3::rule<class key_r, ast::Name> const key = "a setting or argument name";
x3::rule<class number_text_r, std::string> const number_text = "a number";
x3::rule<class number_r, ast::Number> const number = "a number";
x3::rule<class dims_r, ast::Dims> const dims = "dimensions such as 3x3";
x3::rule<class string_r, ast::String> const string_lit = "a string";
x3::rule<class path_r, ast::Path> const path = "a name";
x3::rule<class call_args_r, std::vector<ast::Arg>> const call_args = "arguments in parentheses";
x3::rule<class call_r, ast::Call> const call = "a call";
x3::rule<class layer_call_r, ast::Call> const layer_call = "a layer such as dense(10, relu)";
x3::rule<class arg_r, ast::Arg> const arg = "an argument";
x3::rule<class primary_r, ast::Primary> const primary = "a value (number, string, name or call)";
x3::rule<class expr_r, ast::Expr> const expr = "a value (number, string, name or call)";
x3::rule<class stage_r, ast::Stage> const stage =
    "a pipeline stage (where, relabel, scale, normalize, take; for models drop, cut, append, freeze, unfreeze)";
x3::rule<class cmp_op_r, std::string> const cmp_op = "a comparison (<, <=, >, >=, ==, !=) or 'in'";
x3::rule<class comparison_r, ast::Comparison> const comparison = "a label comparison such as label < 7";
x3::rule<class membership_r, ast::Membership> const membership = "a label set such as label in {7, 8}";
x3::rule<class label_ref_r, ast::LabelRef> const label_ref = "a label: a number, or a class name in quotes";
x3::rule<class label_list_r, std::vector<ast::LabelRef>> const label_list = "labels separated by commas";
x3::rule<class pred_not_r, ast::PredNot> const pred_not = "a label predicate";
x3::rule<class pred_atom_r, ast::PredAtom> const pred_atom = "a label predicate such as label < 7";
x3::rule<class pred_and_r, ast::PredAnd> const pred_and = "a label predicate such as label < 7";
x3::rule<class pred_or_r, ast::PredOr> const pred_or = "a label predicate such as label < 7";
x3::rule<class map_entry_r, ast::MapEntry> const map_entry = "a mapping such as 7: 0";
x3::rule<class map_lit_r, ast::MapLit> const map_lit = "a label map such as {7: 0, 8: 1}";
x3::rule<class param_r, ast::Param> const param = "a parameter name";
x3::rule<class layer_line_r, ast::LayerLine> const layer_line = "a layer";
x3::rule<class model_def_r, ast::ModelDef> const model_def = "a model definition";
x3::rule<class assign_r, ast::Assign> const assign = "an assignment";
x3::rule<class split_part_r, ast::SplitPart> const split_part = "a part such as train 0.8";
x3::rule<class split_parts_r, std::vector<ast::SplitPart>> const split_parts = "parts such as train 0.8, test 0.2";
x3::rule<class compare_list_r, std::vector<ast::Name>> const compare_list = "model names separated by commas";
x3::rule<class number_list_r, std::vector<ast::Number>> const number_list = "numbers separated by commas";
x3::rule<class factor_list_r, std::vector<ast::LayerFactor>> const factor_list =
    "layer factors such as conv2d: 0.1, dense: 0.5";
x3::rule<class append_arg_r, ast::StageArg> const append_arg = "a block of layers in braces or a head such as head(m, 1)";
x3::rule<class shuffle_r, ast::Shuffle> const shuffle = "'shuffled'";
x3::rule<class split_stmt_r, ast::SplitStmt> const split_stmt = "a split";
x3::rule<class setting_r, ast::Setting> const setting = "a setting such as epochs 10";
x3::rule<class settings_r, std::vector<ast::Setting>> const settings = "a block of settings in braces";
x3::rule<class train_stmt_r, ast::TrainStmt> const train_stmt = "a train statement";
x3::rule<class eval_stmt_r, ast::EvalStmt> const eval_stmt = "an evaluate statement";
x3::rule<class summary_stmt_r, ast::SummaryStmt> const summary_stmt = "a summary statement";
x3::rule<class export_stmt_r, ast::ExportStmt> const export_stmt = "an export statement such as export net to \"net.onnx\"";
x3::rule<class compare_names_r, std::vector<ast::Name>> const compare_names = "model names separated by commas";
x3::rule<class compare_stmt_r, ast::CompareStmt> const compare_stmt = "a compare statement";
x3::rule<class seed_stmt_r, ast::SeedStmt> const seed_stmt = "a seed statement";
x3::rule<class repeat_stmt_r, ast::RepeatStmt> const repeat_stmt = "a repeat statement such as repeat 5";
x3::rule<class statement_r, ast::Statement> const statement = "a statement";
x3::rule<class statement_or_end_r> const statement_or_end =
    "a statement (model, split, train, evaluate, compare, summary, export, seed, or name = value)";
x3::rule<class program_r, ast::Program> const program = "a program";

// Named punctuation and keywords for readable "expected ..." messages.
x3::rule<class lparen_r> const lparen = "'('";
x3::rule<class rparen_r> const rparen = "')' or ','";
x3::rule<class lbrace_r> const lbrace = "'{'";
x3::rule<class rbrace_r> const rbrace = "'}'";
x3::rule<class colon_r> const colon = "':'";
x3::rule<class equals_r> const equals = "'='";
x3::rule<class on_r> const on_kw = "'on'";
x3::rule<class into_r> const into_kw = "'into'";
x3::rule<class after_r> const after_kw = "'after'";
x3::rule<class to_r> const to_kw = "'to'";
x3::rule<class mean_kw_r> const mean_kw = "'mean'";
x3::rule<class std_kw_r> const std_kw = "'std'";
x3::rule<class from_kw_r> const from_kw = "'from'";
x3::rule<class channel_kw_r> const channel_kw = "'channel' (normalize from D per channel)";
x3::rule<class model_body_r, std::vector<ast::LayerLine>> const model_body = "'}' or a layer such as dense(10, relu)";
x3::rule<class settings_body_r, std::vector<ast::Setting>> const settings_body = "'}' or a setting such as epochs 10";
x3::rule<class augment_block_r, ast::AugmentBlock> const augment_block = "augmentations in braces, such as { flip horizontal  crop 4 }";

auto const lparen_def = lit('(');
auto const rparen_def = lit(')');
auto const lbrace_def = lit('{');
auto const rbrace_def = lit('}');
auto const colon_def = lit(':');
auto const equals_def = lit('=') >> !lit('=');
auto const on_kw_def = kw("on");
auto const into_kw_def = kw("into");
auto const after_kw_def = kw("after");
auto const mean_kw_def = kw("mean");
auto const std_kw_def = kw("std");
auto const channel_kw_def = kw("channel");
auto const from_kw_def = kw("from");

// --- definitions ---------------------------------------------------------------
// word ::= (letter | '_') (letter | digit | '_')*
auto const word_def = lexeme[(alpha | char_('_')) >> *(alnum | char_('_'))];
// name ::= word, not a reserved keyword
auto const ident_def = !reserved >> word;
auto const name_def = ident;
// key ::= word (setting keys and keyword arguments may be keywords: `seed 7`)
auto const key_def = word;
// number ::= real ('/' real)?          e.g. 64, 0.3, 1e-3, 1/255
auto const number_text_def = raw[lexeme[real_ >> -('/' >> real_)]];
auto const number_def = number_text;
// dims ::= uint ('x' uint)+             e.g. 3x3, 28x28x1
auto const dims_values_def = lexeme[&(x3::uint_ >> 'x' >> x3::uint_) >> (x3::uint_ % 'x')];
auto const dims_def = dims_values;
// string ::= '"' char* '"'              (no newlines inside)
auto const string_body_def = lexeme['"' > *(char_ - '"' - eol) > '"'];
auto const string_lit_def = string_body;
// path ::= name ('.' word)*             e.g. mnist.train
auto const path_parts_def = ident >> *('.' > word);
auto const path_def = path_parts;
// call_args ::= '(' (arg (',' arg)*)? ')'
auto const call_args_def = lparen >> -(arg >> *(',' > arg)) > rparen;
// call ::= name call_args
auto const call_def = name >> call_args;
auto const layer_call_def = name > call_args;
// arg ::= (key '=')? expr
auto const arg_def = -(key >> equals) >> expr;
// primary ::= dims | number | string | call | path
auto const primary_def = dims | number | string_lit | call | path;
// expr ::= primary ('|' stage)*
auto const expr_def = primary >> *('|' > stage);
// stage ::= 'where' pred | 'relabel' map | 'scale' number | 'take' number
//         | 'normalize' (mean_std | normalize_from)
//         | 'drop' number | 'cut' 'after' name | 'append' (layer_block | call)
//         | 'freeze' names | 'unfreeze' names | 'reinit' names | 'lr' layer_factors
//         | 'augment' settings
auto const append_arg_def = layer_block | call;
auto const stage_def = (raw[kw("where")] > pred_or) | (raw[kw("relabel")] > map_lit) |
                       (raw[kw("scale")] > number) | (raw[kw("normalize")] > normalize_arg) |
                       (raw[kw("take")] > number) | (raw[kw("drop")] > number) |
                       (raw[kw("cut")] > after_kw > name_list) | (raw[kw("append")] > append_arg) |
                       (raw[kw("freeze")] > name_list) | (raw[kw("unfreeze")] > name_list) |
                       (raw[kw("reinit")] > name_list) | (raw[kw("lr")] > layer_factors) |
                       (raw[kw("augment")] > augment_block);
// mean_std ::= 'mean' number (',' number)* 'std' number (',' number)*
auto const mean_std_def = mean_kw > number_list > std_kw > number_list;
// normalize_from ::= 'from' path ('per' 'channel')?
auto const from_parts_def = from_kw > path_parts;
auto const normalize_from_def = from_parts >> x3::matches[statement_kw("per") > channel_kw];
auto const normalize_arg_def = mean_std | normalize_from;
// layer_factors ::= '{' word ':' number (',' word ':' number)* '}'
auto const layer_factor_def = key > colon > number;
auto const factor_list_def = layer_factor % ',';
auto const factor_entries_def = lbrace > factor_list > rbrace;
auto const layer_factors_def = factor_entries;
// layer_block ::= '{' layer_line* '}'
auto const block_lines_def = lbrace > *layer_line > rbrace;
auto const layer_block_def = block_lines;
// names ::= word (',' word)*
auto const names_def = key % ',';
auto const name_list_def = names;
// cmp_op ::= '<=' | '>=' | '==' | '!=' | '<' | '>'
auto const cmp_op_def = x3::string("<=") | x3::string(">=") | x3::string("==") | x3::string("!=") |
                        x3::string("<") | x3::string(">");
// label_ref ::= number | string   (a class name in quotes)
auto const label_ref_def = (number_text >> x3::attr(false)) | (string_body >> x3::attr(true));
// membership ::= 'label' 'in' '{' label_ref (',' label_ref)* '}'
auto const number_list_def = number % ',';
auto const label_list_def = label_ref % ',';
auto const membership_def = raw[kw("label")] >> kw("in") > lbrace > label_list > rbrace;
// comparison ::= 'label' cmp_op label_ref
auto const comparison_def = raw[kw("label")] > cmp_op > label_ref;
// pred_not ::= 'not' pred_atom
auto const pred_not_def = raw[kw("not")] > pred_atom;
// pred_atom ::= pred_not | membership | comparison | '(' pred_or ')'
auto const pred_atom_def = pred_not | membership | comparison | ('(' > pred_or > rparen);
// pred_and ::= pred_atom ('and' pred_atom)*
auto const and_terms_def = pred_atom % kw("and");
auto const pred_and_def = and_terms;
// pred_or ::= pred_and ('or' pred_and)*
auto const or_terms_def = pred_and % kw("or");
auto const pred_or_def = or_terms;
// map ::= '{' (label_ref ':' number (',' label_ref ':' number)*)? '}'
auto const map_entry_def = label_ref > colon > number;
auto const map_entries_def = lbrace > -(map_entry % ',') > rbrace;
auto const map_lit_def = map_entries;
// param ::= name ('=' expr)?
auto const param_def = name >> -(equals > expr);
// layer_line ::= (name ':')? name call_args ('from' name)?
auto const layer_line_def = -(name >> ':') >> layer_call >> -(kw("from") > name);
// model_def ::= 'model' name '(' (param (',' param)*)? ')' '{' layer_line* '}'
auto const model_body_def = *layer_line > rbrace;
auto const model_def_def = statement_kw("model") > name > lparen > -(param % ',') > rparen > lbrace > model_body;
// assign ::= name '=' expr
auto const assign_def = name >> equals > expr;
// split ::= 'split' expr 'into' part (',' part)* 'stratified'? ('shuffled' ('seed' number)?)?
auto const split_part_def = name > number;
auto const shuffle_def = raw[kw("shuffled")] > -(kw("seed") > number);
auto const split_parts_def = split_part % ',';
auto const split_stmt_def = statement_kw("split") > expr > into_kw > split_parts > -raw[kw("stratified")] > -shuffle;
// settings ::= '{' (key expr)* '}'
// A word that starts a statement (but `seed`, also a setting) ends a settings
// block that lacks its '}', instead of being read as a setting.
auto const setting_def =
    !(kw("train") | kw("evaluate") | kw("compare") | kw("summary") | kw("export") | kw("split") | kw("model")) >>
                         key > expr;
// Commas between settings are allowed, as a Keras user writes them: { epochs 1, batch 32 }
auto const settings_body_def = *(setting >> -lit(',')) > rbrace;
auto const settings_def = lbrace > settings_body;
auto const augment_block_def = settings;
// train ::= 'train' name 'on' expr settings?
auto const train_stmt_def = statement_kw("train") > name > on_kw > expr > -settings;
// evaluate ::= 'evaluate' name 'on' expr settings?
auto const eval_stmt_def = statement_kw("evaluate") > name > on_kw > expr > -settings;
// compare ::= 'compare' name (',' name)* 'on' expr settings?
auto const compare_list_def = name % ',';
auto const compare_names_def = statement_kw("compare") > compare_list;
auto const compare_stmt_def = compare_names > on_kw > expr > -settings;
// summary ::= 'summary' name
auto const summary_stmt_def = raw[statement_kw("summary")] > name;
// export ::= 'export' name 'to' string
auto const to_kw_def = kw("to");
auto const export_stmt_def = raw[statement_kw("export")] > name > to_kw > string_lit;
// seed ::= 'seed' number
auto const seed_stmt_def = raw[statement_kw("seed")] > number;
// repeat ::= 'repeat' (number | 'seeds' number (',' number)*)
auto const repeat_stmt_def = raw[statement_kw("repeat")] > x3::matches[kw("seeds")] > number_list;
// statement ::= model_def | split | train | evaluate | summary | seed | assign
auto const statement_def =
    model_def | split_stmt | train_stmt | eval_stmt | compare_stmt | summary_stmt | export_stmt | seed_stmt | repeat_stmt |
    assign;
// program ::= statement* end
auto const statement_or_end_def = eoi;
auto const program_def = *statement > statement_or_end;

BOOST_SPIRIT_DEFINE(layer_factor, factor_entries, layer_factors, mean_std, mean_kw, std_kw, from_kw, channel_kw, from_parts,
                    normalize_from, normalize_arg, compare_names, compare_stmt)
BOOST_SPIRIT_DEFINE(split_parts, compare_list, number_list, factor_list, append_arg, augment_block, label_ref, label_list)
BOOST_SPIRIT_DEFINE(export_stmt, to_kw)
BOOST_SPIRIT_DEFINE(block_lines, layer_block, names, name_list, word, ident, dims_values, string_body, path_parts, and_terms, or_terms, map_entries, name, key, number_text, number, dims, string_lit, path, call_args, call, layer_call, arg,
                    primary, expr, stage, cmp_op, membership, comparison, pred_not, pred_atom, pred_and, pred_or,
                    map_entry, map_lit, param, layer_line, model_body, model_def, assign, split_part, shuffle,
                    split_stmt, setting, settings_body, settings, train_stmt, eval_stmt, summary_stmt, seed_stmt, repeat_stmt,
                    statement, statement_or_end, program, lparen, rparen, lbrace, rbrace, colon, equals, on_kw,
                    into_kw, after_kw)

// Every rule ID annotates its node's position.
struct name_r : annotate_offset {};
struct layer_block_r : annotate_offset {};
struct name_list_r : annotate_offset {};
struct layer_factor_r : annotate_offset {};
struct layer_factors_r : annotate_offset {};
struct mean_std_r : annotate_offset {};
struct normalize_from_r : annotate_offset {};
struct key_r : annotate_offset {};
struct number_r : annotate_offset {};
struct dims_r : annotate_offset {};
struct string_r : annotate_offset {};
struct path_r : annotate_offset {};
struct call_r : annotate_offset {};
struct layer_call_r : annotate_offset {};
struct arg_r : annotate_offset {};
struct expr_r : annotate_offset {};
struct stage_r : annotate_offset {};
struct augment_block_r : annotate_offset {};
struct comparison_r : annotate_offset {};
struct membership_r : annotate_offset {};
struct label_ref_r : annotate_offset {};
struct pred_not_r : annotate_offset {};
struct pred_and_r : annotate_offset {};
struct pred_or_r : annotate_offset {};
struct map_entry_r : annotate_offset {};
struct map_lit_r : annotate_offset {};
struct param_r : annotate_offset {};
struct layer_line_r : annotate_offset {};
struct model_def_r : annotate_offset {};
struct assign_r : annotate_offset {};
struct split_part_r : annotate_offset {};
struct shuffle_r : annotate_offset {};
struct split_stmt_r : annotate_offset {};
struct setting_r : annotate_offset {};
struct train_stmt_r : annotate_offset {};
struct eval_stmt_r : annotate_offset {};
struct summary_stmt_r : annotate_offset {};
struct export_stmt_r : annotate_offset {};
struct compare_stmt_r : annotate_offset {};
struct seed_stmt_r : annotate_offset {};
struct repeat_stmt_r : annotate_offset {};

}  // namespace tl::dsl::grammar
