// Stable diagnostic codes. Tests and users match on these; never renumber, only add.
// L00xx syntax and files, L01xx names, L02xx types and units, L03xx dates and schedules,
// L04xx coverage analysis, L05xx unsupported constructs, L06xx agreement header, L07xx examples.
#pragma once

namespace lode::code {
inline constexpr const char* kSyntax = "L0001";          // unexpected or missing token
inline constexpr const char* kBadChar = "L0002";         // character that cannot start a token
inline constexpr const char* kUnknownUnit = "L0003";     // word after a number is not a unit
inline constexpr const char* kBadLiteral = "L0004";      // malformed number, date or HS code
inline constexpr const char* kNoFile = "L0005";          // file or module cannot be read
inline constexpr const char* kTooDeep = "L0006";         // nesting deeper than limits::kMaxNesting
inline constexpr const char* kTooLarge = "L0007";        // file over limits::kMaxFileBytes or kMaxTokens
inline constexpr const char* kTooMany = "L0008";         // more declarations/statements/measures than allowed
inline constexpr const char* kNameTooLong = "L0009";     // identifier longer than limits::kMaxNameLength
inline constexpr const char* kUndefined = "L0101";       // name not defined
inline constexpr const char* kDuplicate = "L0102";       // name defined twice
inline constexpr const char* kWrongKind = "L0103";       // a group where a value is needed, etc.
inline constexpr const char* kUnused = "L0104";          // warning: defined but never used
inline constexpr const char* kCycle = "L0105";           // definitions depend on each other
inline constexpr const char* kUnknownField = "L0106";    // no such shipment field / column
inline constexpr const char* kBadCall = "L0107";         // unknown function or wrong arguments
inline constexpr const char* kUnitMismatch = "L0201";    // USD + EUR, t + USD, t < USD
inline constexpr const char* kTypeMismatch = "L0202";    // expected bool, got USD, ...
inline constexpr const char* kCurrency = "L0203";        // duty not in the currency of account
inline constexpr const char* kBadDate = "L0301";         // impossible calendar date
inline constexpr const char* kScheduleOrder = "L0302";   // schedule dates not strictly increasing
inline constexpr const char* kDateOrder = "L0303";       // from after until, expiry before force
inline constexpr const char* kNeverApplies = "L0401";    // measure condition cannot hold
inline constexpr const char* kBandCoverage = "L0402";    // bands overlap or leave a gap
inline constexpr const char* kExclusiveOverlap = "L0403";// two measures of an exclusive block overlap
inline constexpr const char* kCannotProve = "L0404";     // warning: disjointness not provable
inline constexpr const char* kUnsupported = "L0501";     // construct parsed but not implemented yet
inline constexpr const char* kHeader = "L0601";          // agreement header missing or duplicated
inline constexpr const char* kRounding = "L0602";        // rounding spec invalid
inline constexpr const char* kExample = "L0701";         // example block is malformed
}  // namespace lode::code
