// Boost.Fusion adaptations of the AST, so X3 can fill the structs. Only the
// grammar TU and the AST printer include this.
#pragma once

#include <boost/fusion/include/adapt_struct.hpp>

#include "dsl/ast.hpp"

BOOST_FUSION_ADAPT_STRUCT(tl::ast::Name, text)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Number, text)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Dims, values)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::String, text)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Path, parts)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Comparison, subject, op, value)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Membership, subject, values)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::PredAnd, terms)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::PredOr, terms)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::PredNot, keyword, operand)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::MapEntry, key, value)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::MapLit, entries)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::LayerBlock, layers)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::NameList, names)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::LayerFactor, layer, factor)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::LayerFactors, entries)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::MeanStd, mean, std)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::NormalizeFrom, dataset)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Stage, op, arg)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Expr, head, stages)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Arg, keyword, value)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Call, callee, args)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Param, name, default_value)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::LayerLine, label, call, from)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::ModelDef, name, params, layers)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Assign, name, value)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::SplitPart, name, fraction)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Shuffle, keyword, seed)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::SplitStmt, source, parts, stratified, shuffle)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Setting, key, value)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::TrainStmt, model, data, settings)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::EvalStmt, model, data, settings)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::CompareStmt, models, data, settings)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::SummaryStmt, keyword, model)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::SeedStmt, keyword, value)
BOOST_FUSION_ADAPT_STRUCT(tl::ast::Program, statements)
