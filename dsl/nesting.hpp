// The nesting limit for scripts. The X3 grammar, the AST's destructors, the
// printer and the checker all recurse once per level of nesting (a bracket, or
// a `not` in a predicate), so a script nested 100,000 deep would overflow the
// stack. parse() runs this check first, in one linear scan; real scripts nest
// a handful of levels.
#pragma once

#include "dsl/source.hpp"

namespace tl::dsl {

/// Deepest nesting a script may use. Each level costs the parser a few KB of
/// stack (about 30 KB under AddressSanitizer, which overflows 8 MB near 4,000
/// levels), so 256 leaves a wide margin on any thread.
inline constexpr int max_nesting_depth = 256;

/// Throws DiagnosticError at the `(`, `{` or `not` that opens level
/// max_nesting_depth + 1. Comments and strings are skipped the way the
/// grammar skips them. A `not` nests until the atom it negates ends: its
/// level closes after a comparison, or with the `)` of the group it precedes.
/// Precondition: none (any bytes); the grammar reports everything else.
void check_nesting(const SourceFile& source);

}  // namespace tl::dsl
