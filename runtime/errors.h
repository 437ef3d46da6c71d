// Evaluation error codes shared by the interpreter, the JIT (later) and the C ABI.
// Codes are stable: they appear in assessments, test expectations and docs/formats.md.
#pragma once
#include <cstdint>
#include <string_view>

namespace lode::rt {

enum class ErrCode : uint16_t {
  Ok = 0,
  Overflow = 1,            // E0001 decimal result outside the representable range
  DivisionByZero = 2,      // E0002
  MissingObservation = 3,  // E0003 no market observation in the window
  MissingField = 4,        // E0004 a shipment field the clause needs is absent
  NoRegistryRow = 5,       // E0005 registry has no row for the key on that date
  OwnershipCycle = 6,      // E0006 ownership chain loops back on itself
  ScheduleNotInEffect = 7, // E0007 entry date before the first schedule point
  NoBand = 8,              // E0008 value falls outside every band (should be caught by the checker)
  InvalidValue = 9,        // E0009 malformed input value (reader)
  OutOfRange = 10,         // E0010 date or number outside the supported range
  BadUnit = 11,            // E0011 a value came with a unit of the wrong dimension
  NotInForce = 12,         // E0012 the entry date is outside the agreement's in-force period
};

// "E0003" style code used in output and in test expectations.
std::string_view errCodeName(ErrCode c);
// Short English description, e.g. "no market observation".
std::string_view errCodeText(ErrCode c);

}  // namespace lode::rt
