// LLVM IR generation for lode expressions (see jit.h for what is compiled and how it is called).
// One of the two translation units that include LLVM headers (with jit.cpp): they are slow to compile.
#include "compiler/jit/codegen.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <unordered_map>

#include "compiler/jit/jit.h"
#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/record.h"

namespace lode::jit {

namespace {

using ir::Kind;
using ir::Op;

// Larger groups are tested by the executor (a loop) rather than unrolled.
constexpr size_t kInlineGroupMembers = 64;
constexpr uint32_t kMeasuresPerFunction = 4;
// An agreement this small has its clause functions inlined into one another at O2: a shipment then
// makes one call into its code rather than one per scope, chunk and top-level value (about a tenth of
// E1's time per shipment went to their entries and exits), and the optimiser still sees few nodes.
constexpr size_t kInlineClausesMeasures = 16, kInlineClausesNodes = 4000;
// Modules compiled in parallel: one per this many chunks of measures, at most kMaxPartitions.
constexpr size_t kChunksPerPartition = 8;
constexpr size_t kMaxPartitions = 8;

// Which nodes are generated inline (the rest go through the callback).
bool inlineOp(const ir::Program& p, const ir::Node& n) {
  if (n.kind == Kind::Text || n.kind == Kind::Hs || n.kind == Kind::Void) return false;
  switch (n.op) {
    case Op::Const: case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::Neg: case Op::Abs:
    case Op::Scale: case Op::Min: case Op::Max: case Op::Round: case Op::And: case Op::Or: case Op::Not:
    case Op::If: case Op::Otherwise: case Op::Present: case Op::DaysBetween:
    case Op::Field: case Op::Origin: case Op::Local: case Op::Global: case Op::UnitPrice:
      return true;
    case Op::Schedule:
      return true;
    case Op::HsIn:  // of a shipment field: its key (rt::hsKey) against the prefixes' ranges
      return p.nodes[p.kidsOf(n)[0]].op == Op::Field;
    case Op::InGroup:
      return p.groups[n.a].members.size() <= kInlineGroupMembers;
    case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::Eq: case Op::Ne:
      return Kind(n.b) != Kind::Text && Kind(n.b) != Kind::Hs;
    case Op::InList:
      return Kind(n.b) != Kind::Text && Kind(n.b) != Kind::Hs;
    default:
      return false;
  }
}

// Measures the executor runs itself: quotas (the split against the ledger), and scopes whose typed
// groups are too large to unroll. The others are generated into the measures function.
bool nativeMeasure(const ir::Program& p, const ir::Measure& m) {
  if (m.quota >= 0) return false;
  for (int si : m.scopes) {
    const ir::Scope& s = p.scopes[size_t(si)];
    for (const auto* gs : {&s.mineralGroups, &s.nodeGroups})
      for (int g : *gs)
        if (p.groups[size_t(g)].members.size() > kInlineGroupMembers) return false;
  }
  return true;
}

class Codegen {
 public:
  Codegen(const ir::Program& p, llvm::LLVMContext& ctx, llvm::Module& m, bool inlineArithmetic)
      : p_(p), origin_(ir::originReaders(p)), ctx_(ctx), m_(m), b_(ctx), inlineArith_(inlineArithmetic),
        inlineClauses_(inlineArithmetic && p.measures.size() <= kInlineClausesMeasures && p.nodes.size() <= kInlineClausesNodes),
        i64_(llvm::Type::getInt64Ty(ctx)), i32_(llvm::Type::getInt32Ty(ctx)), i8_(llvm::Type::getInt8Ty(ctx)),
        ptr_(llvm::PointerType::get(ctx, 0)) {
    // Runtime arithmetic: (operands..., clause position, out) -> 0 or the packed error.
    auto* rt2 = llvm::FunctionType::get(i64_, {i64_, i32_, ptr_}, false);
    auto* rt3 = llvm::FunctionType::get(i64_, {i64_, i64_, i32_, ptr_}, false);
    auto* rt4 = llvm::FunctionType::get(i64_, {i64_, i64_, i64_, i32_, ptr_}, false);
    mul_ = m.getOrInsertFunction("lode_rt_mul", rt3);
    div_ = m.getOrInsertFunction("lode_rt_div", rt3);
    neg_ = m.getOrInsertFunction("lode_rt_neg", rt2);
    abs_ = m.getOrInsertFunction("lode_rt_abs", rt2);
    scale_ = m.getOrInsertFunction("lode_rt_scale", rt4);
    round_ = m.getOrInsertFunction("lode_rt_round", rt4);
    auto* rt5 = llvm::FunctionType::get(i64_, {i64_, i64_, i64_, i64_, i32_, ptr_}, false);
    mulScaled_ = m.getOrInsertFunction("lode_rt_mul_scaled", rt5);
    divScaled_ = m.getOrInsertFunction("lode_rt_div_scaled", rt5);
    textEq_ = m.getOrInsertFunction("lode_rt_text_eq", llvm::FunctionType::get(i64_, {ptr_, ptr_, i64_}, false));
    callback_ = m.getOrInsertFunction("lode_jit_callback", llvm::FunctionType::get(i64_, {ptr_, i32_, ptr_}, false));
    auto* voidTy = llvm::Type::getVoidTy(ctx);
    failed_ = m.getOrInsertFunction("lode_x_failed", llvm::FunctionType::get(voidTy, {ptr_, i64_, i32_, i32_}, false));
    line_ = m.getOrInsertFunction("lode_x_line", llvm::FunctionType::get(voidTy, {ptr_, i64_, i64_, i64_, i64_, i64_}, false));
    share_ = m.getOrInsertFunction("lode_x_share", llvm::FunctionType::get(i64_, {ptr_, ptr_, i32_, ptr_}, false));
    series_ = m.getOrInsertFunction("lode_x_series", llvm::FunctionType::get(i64_, {ptr_, i32_, ptr_}, false));
    outcome_ = m.getOrInsertFunction("lode_x_outcome", llvm::FunctionType::get(voidTy, {ptr_, i32_, i32_}, false));
    let_ = m.getOrInsertFunction("lode_x_let", llvm::FunctionType::get(i64_, {ptr_, i32_, i32_}, false));
    measure_ = m.getOrInsertFunction("lode_x_measure", llvm::FunctionType::get(voidTy, {ptr_, i32_}, false));
  }

  // `int32_t lode_measures(ptr frame)` (jit.h MeasuresFn): the origin rules, then every measure in
  // order, in chunks of kMeasuresPerFunction so that no function grows with the agreement (optimisers
  // are superlinear); then the top-level values those need, one function each.
  // In a partitioned program each module generates its share of the chunks; partition 0 calls them all.
  void measures(uint32_t part, uint32_t parts) {
    auto* chunkTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx_), {ptr_}, false);
    inMeasures_ = true;
    uint32_t chunkCount = uint32_t((p_.measures.size() + kMeasuresPerFunction - 1) / kMeasuresPerFunction);
    std::vector<llvm::Function*> chunks;
    for (uint32_t c = 0; c < chunkCount; ++c) {
      bool mine = c * parts / chunkCount == part;
      uint32_t first = c * kMeasuresPerFunction;
      auto linkage = parts > 1 ? llvm::Function::ExternalLinkage : llvm::Function::InternalLinkage;
      auto* f = llvm::Function::Create(chunkTy, linkage, "lode_measures_" + std::to_string(first), m_);
      chunks.push_back(f);
      if (!mine) continue;  // a declaration: another partition defines it
      begin(f);
      uint32_t end = std::min<uint32_t>(uint32_t(p_.measures.size()), first + kMeasuresPerFunction);
      for (uint32_t mi = first; mi < end; ++mi) measure(mi);
      b_.CreateRetVoid();
    }
    if (part == 0) entry(chunks);
    // Their functions may ask for more: generate until none is pending.
    while (!pending_.empty()) {
      Pending next = pending_.back();
      pending_.pop_back();
      if (next.scope) scopeBody(next.index, next.fn);
      else globalBody(next.index, next.fn);
    }
  }

  void entry(const std::vector<llvm::Function*>& chunks) {
    llvm::Function* origins = p_.originRules.empty() ? nullptr : originRules();
    auto* entryTy = llvm::FunctionType::get(i32_, {ptr_}, false);
    llvm::Function* all = llvm::Function::Create(entryTy, llvm::Function::ExternalLinkage, kMeasuresFunction, m_);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", all));
    if (origins) {
      auto* stop = llvm::BasicBlock::Create(ctx_, "origin_failed", all), *go = llvm::BasicBlock::Create(ctx_, "measures", all);
      b_.CreateCondBr(b_.CreateICmpNE(b_.CreateCall(origins, {all->getArg(0)}), c32(0)), stop, go);
      b_.SetInsertPoint(stop);
      b_.CreateRet(c32(1));
      b_.SetInsertPoint(go);
    }
    for (llvm::Function* c : chunks) b_.CreateCall(c, {all->getArg(0)});
    b_.CreateRet(c32(0));
  }

  // Generates `uint64_t f_<idx>(ptr frame, ptr out)` for the subtree at idx.
  void function(uint32_t idx) {
    auto* fty = llvm::FunctionType::get(i64_, {ptr_, ptr_}, false);
    begin(llvm::Function::Create(fty, llvm::Function::ExternalLinkage, functionName(idx), m_));
    llvm::Value* out = fn_->getArg(1);
    auto* fail = llvm::BasicBlock::Create(ctx_, "fail", fn_);
    llvm::Value* v = gen(idx, fail);
    b_.CreateStore(v, out);
    b_.CreateRet(llvm::ConstantInt::get(i64_, 0));
    b_.SetInsertPoint(fail);
    b_.CreateRet(errorAt(fail));
  }


 private:
  // Starts generating f (first argument: the frame) with its scratch slots.
  // Never inlined, but in a small agreement at O2 (kInlineClausesMeasures): the clauses stay in
  // functions of bounded size, because the optimiser and the register allocator grow faster than
  // linearly with a function's size (docs/performance.md).
  void begin(llvm::Function* f) {
    if (!inlineClauses_ || f->hasExternalLinkage()) f->addFnAttr(llvm::Attribute::NoInline);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    clauseBody_ = false;
    fn_ = f;
    frame_ = f->getArg(0);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", f));
    tmp_ = b_.CreateAlloca(i64_, nullptr, "tmp");
    field_ = b_.CreateAlloca(i32_, nullptr, "field");
    entryEnd_ = llvm::cast<llvm::Instruction>(field_);
    entryLoads_.clear();
  }

  // `int32_t lode_origin_rules(ptr frame)`: each rule that applies sets the origin, the next sees it;
  // a failure is recorded (`failed`) and stops the evaluation: 1.
  llvm::Function* originRules() {
    begin(llvm::Function::Create(llvm::FunctionType::get(i32_, {ptr_}, false), llvm::Function::InternalLinkage,
                                 "lode_origin_rules", m_));
    clauseBody_ = true;
    for (uint32_t i = 0; i < p_.originRules.size(); ++i) {
      const ir::OriginRule& o = p_.originRules[i];
      auto* next = block("next_rule"), *fail = block("rule_failed");
      b_.CreateStore(c32(-1), field_);
      anyScope(o.scopes, o.pos, next, fail, false);
      auto* holds = block("rule_applies");
      b_.CreateCondBr(b_.CreateICmpNE(gen(o.when, fail), c64(0)), holds, next);
      b_.SetInsertPoint(holds);
      llvm::Value* now = gen(o.becomes, fail);
      llvm::Value* changed = b_.CreateICmpNE(now, view(offsetof(FrameView, origin), i64_));
      setView(offsetof(FrameView, originRule), b_.CreateSelect(changed, c32(i), view(offsetof(FrameView, originRule), i32_)));
      setView(offsetof(FrameView, origin), now);
      if (!origin_.defs.empty()) {  // top-level values computed with the previous origin: again when next read
        auto* redo = block("origin_changed");
        b_.CreateCondBr(changed, redo, next);
        b_.SetInsertPoint(redo);
        for (uint32_t d : origin_.defs)
          b_.CreateStore(llvm::ConstantInt::get(i8_, 0), b_.CreateConstInBoundsGEP1_64(i8_, view(offsetof(FrameView, globalState), ptr_), d));
      }
      b_.CreateBr(next);
      b_.SetInsertPoint(fail);
      b_.CreateCall(failed_, {frame_, errorAt(fail), b_.CreateLoad(i32_, field_), c32(-1)});
      b_.CreateRet(c32(1));
      b_.SetInsertPoint(next);
    }
    b_.CreateRet(c32(0));
    return fn_;
  }

  // `uint64_t lode_global_<g>(ptr frame)`: computes top-level value g into the frame's globals and
  // marks it done (state 2), as the executor does; 0 or the packed error.
  llvm::Function* globalFn(uint32_t g) { return helperFn(false, g); }

  // `uint64_t lode_scope_<s>(ptr frame)`, shared by the clauses on scope s: 0 outside, 1 inside,
  // 2 + field when a scope field is absent (the caller adds its clause's position), else the packed
  // error of the `where` condition.
  llvm::Function* scopeFn(uint32_t si) { return helperFn(true, si); }

  // Declares a helper on first use; its body is generated once the clauses are (pending_).
  llvm::Function* helperFn(bool scope, uint32_t index) {
    std::string name = (scope ? "lode_scope_" : "lode_global_") + std::to_string(index);
    if (llvm::Function* f = m_.getFunction(name)) return f;
    auto* f = llvm::Function::Create(llvm::FunctionType::get(i64_, {ptr_}, false), llvm::Function::InternalLinkage, name, m_);
    pending_.push_back({scope, index, f});
    return f;
  }
  void scopeBody(uint32_t si, llvm::Function* f) {
    begin(f);
    b_.CreateStore(c32(-1), field_);
    auto* miss = block("outside"), *fail = block("fail");
    scope(p_.scopes[si], 0, miss, fail);
    b_.CreateRet(c64(1));
    b_.SetInsertPoint(miss);
    b_.CreateRet(c64(0));
    b_.SetInsertPoint(fail);
    llvm::Value* fieldIdx = b_.CreateLoad(i32_, field_);
    llvm::Value* isField = b_.CreateICmpSGE(fieldIdx, c32(0));
    b_.CreateRet(b_.CreateSelect(isField, b_.CreateAdd(b_.CreateSExt(fieldIdx, i64_), c64(2)), errorAt(fail)));
  }
  void globalBody(uint32_t g, llvm::Function* f) {
    begin(f);
    auto* fail = block("fail");
    llvm::Value* v = gen(p_.defs[g].node, fail);
    llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(i8_, view(offsetof(FrameView, globals), ptr_), g * sizeof(Slot));
    b_.CreateStore(v, b_.CreateConstInBoundsGEP1_64(i8_, slot, offsetof(Slot, i)));
    b_.CreateStore(llvm::ConstantPointerNull::get(ptr_), b_.CreateConstInBoundsGEP1_64(i8_, slot, offsetof(Slot, s)));
    b_.CreateStore(llvm::ConstantInt::get(i8_, 2), b_.CreateConstInBoundsGEP1_64(i8_, view(offsetof(FrameView, globalState), ptr_), g));
    b_.CreateRet(c64(0));
    b_.SetInsertPoint(fail);
    b_.CreateRet(errorAt(fail));
  }

  llvm::Value* c64(int64_t v) { return llvm::ConstantInt::get(i64_, uint64_t(v)); }
  llvm::BasicBlock* block(const char* n) { return llvm::BasicBlock::Create(ctx_, n, fn_); }

  // A failure target receives the packed error through a phi fed by every edge that jumps there
  // (no stack slot and no block per check: less IR for LLVM to chew on).
  llvm::PHINode* failPhi(llvm::BasicBlock* fail) {
    llvm::PHINode*& phi = failPhis_[fail];
    if (!phi) {
      llvm::IRBuilder<> at(fail, fail->begin());
      phi = at.CreatePHI(i64_, 4, "err");
    }
    return phi;
  }
  // The packed error at a failure target (a dead target, nothing jumps there: 0).
  llvm::Value* errorAt(llvm::BasicBlock* fail) {
    auto it = failPhis_.find(fail);
    return it == failPhis_.end() ? c64(0) : it->second;
  }
  // Jumps to `fail` with `packed` from here.
  void jumpToFail(llvm::Value* packed, llvm::BasicBlock* fail) {
    failPhi(fail)->addIncoming(packed, b_.GetInsertBlock());
    b_.CreateBr(fail);
  }
  void raise(rt::ErrCode c, uint32_t pos, llvm::BasicBlock* fail) { jumpToFail(c64(int64_t(packError(c, pos))), fail); }
  // a + c or a - c (an LLVM *_with_overflow intrinsic): an overflow jumps to fail with E0001 at pos.
  llvm::Value* checked(llvm::Intrinsic::ID id, llvm::Value* a, llvm::Value* c, uint32_t pos, llvm::BasicBlock* fail) {
    llvm::Value* r = b_.CreateBinaryIntrinsic(id, a, c);
    auto* bad = block("ovf"), *ok = block("nofl");
    b_.CreateCondBr(b_.CreateExtractValue(r, 1), bad, ok);
    b_.SetInsertPoint(bad);
    raise(rt::ErrCode::Overflow, pos, fail);
    b_.SetInsertPoint(ok);
    return b_.CreateExtractValue(r, 0);
  }
  // Goes on when `packed` (an executor's or the runtime's answer) is 0, else jumps to fail with it.
  void failIfPacked(llvm::Value* packed, llvm::BasicBlock* fail) {
    auto* ok = block("ok");
    failPhi(fail)->addIncoming(packed, b_.GetInsertBlock());
    b_.CreateCondBr(b_.CreateICmpNE(packed, c64(0)), fail, ok);
    b_.SetInsertPoint(ok);
  }

  llvm::Value* callRt(llvm::FunctionCallee f, std::initializer_list<llvm::Value*> args, uint32_t pos, llvm::BasicBlock* fail) {
    if (llvm::Value* folded = fold(f, args)) return folded;
    std::vector<llvm::Value*> a(args);
    a.push_back(c32(pos));
    a.push_back(tmp_);
    failIfPacked(b_.CreateCall(f, a), fail);
    return b_.CreateLoad(i64_, tmp_);
  }

  // Decimal arithmetic with constant divisors, generated inline when inlineArith_ (O2, one module): the
  // 64-bit fast paths of runtime/decimal.h, where a division by a constant becomes a multiplication;
  // whatever leaves the fast path (a product beyond 64 bits) calls the same runtime function as the
  // other levels, which gives the exact answer or the error. Otherwise every one is a call.
  // The quick level keeps the calls: it has no InstCombine to tidy the inline code and compiles
  // faster without it; so do large agreements at O2, whose compile time it doubled.
  // The runtime call (folded on constants), unless the operation is generated inline here (inlineArith_
  // and `inlinable`): then the folded constant, or null for the caller to generate the fast path.
  llvm::Value* callUnlessInline(llvm::FunctionCallee f, std::initializer_list<llvm::Value*> args, bool inlinable, uint32_t pos,
                                llvm::BasicBlock* fail) {
    return inlineArith_ && inlinable ? fold(f, args) : callRt(f, args, pos, fail);
  }
  llvm::Value* mul(llvm::Value* a, llvm::Value* c, uint32_t pos, llvm::BasicBlock* fail) {
    if (llvm::Value* v = callUnlessInline(mul_, {a, c}, true, pos, fail)) return v;
    return withFastPath(a, c, nullptr, [&](llvm::Value* product) { return divHalfEven(product, rt::kOne); },
                        [&] { return callRt(mul_, {a, c}, pos, fail); });
  }
  // a * c / by (a constant by > 1) with one rounding (rt::decMulDiv): `90 % of value`.
  llvm::Value* mulDiv(llvm::Value* a, llvm::Value* c, int64_t by, uint32_t pos, llvm::BasicBlock* fail) {
    int64_t den = rt::kOne * by;  // the checker keeps it in range
    if (llvm::Value* v = callUnlessInline(scale_, {a, c, c64(den)}, true, pos, fail)) return v;
    // A constant factor shares its common divisor with den: the same rational, so the same rounded
    // quotient, with a smaller product (90 % of value is value * 9 / 10), which overflows later and
    // gives LLVM less to simplify (compile time).
    if (!llvm::isa<llvm::ConstantInt>(c) && llvm::isa<llvm::ConstantInt>(a)) std::swap(a, c);
    if (auto* k = llvm::dyn_cast<llvm::ConstantInt>(c); k && k->getSExtValue() != INT64_MIN) {
      int64_t g = std::gcd(k->getSExtValue(), den);
      if (g > 1) { c = c64(k->getSExtValue() / g); den /= g; }
      if (den == 1) return checked(llvm::Intrinsic::smul_with_overflow, a, c, pos, fail);
    }
    return withFastPath(a, c, nullptr, [&](llvm::Value* product) { return divHalfEven(product, den); },
                        [&] { return callRt(scale_, {a, c, c64(den)}, pos, fail); });
  }
  // a * c * m / k with one rounding (rt::decMulScaled), m > 1: a product brought to its unit by a
  // factor that is not 1/k (USD/kg * t, x 1000). A constant operand takes m when that fits (the same
  // product, so the same rounded quotient) and the product goes the way of the others; else the
  // runtime's call, for a mix of units that is rare in agreements.
  llvm::Value* mulScaled(llvm::Value* a, llvm::Value* c, int64_t m, int64_t k, uint32_t pos, llvm::BasicBlock* fail) {
    if (!llvm::isa<llvm::ConstantInt>(c) && llvm::isa<llvm::ConstantInt>(a)) std::swap(a, c);
    int64_t folded = 0;
    if (auto* kc = llvm::dyn_cast<llvm::ConstantInt>(c); kc && !__builtin_mul_overflow(kc->getSExtValue(), m, &folded))
      return k > 1 ? mulDiv(a, c64(folded), k, pos, fail) : mul(a, c64(folded), pos, fail);
    return callRt(mulScaled_, {a, c, c64(m), c64(k)}, pos, fail);
  }
  // a / c: a positive divisor inline (a * 10^6 cannot be INT64_MIN, so the runtime's 64-bit path
  // applies); zero, negative divisors and wide products take the runtime's call.
  llvm::Value* div(llvm::Value* a, llvm::Value* c, uint32_t pos, llvm::BasicBlock* fail) {
    if (llvm::Value* v = callUnlessInline(div_, {a, c}, true, pos, fail)) return v;
    return withFastPath(a, c64(rt::kOne), b_.CreateICmpSGT(c, c64(0)), [&](llvm::Value* n) { return divHalfEven(n, c); },
                        [&] { return callRt(div_, {a, c}, pos, fail); });
  }
  // a * num / den for constants num, den (a unit conversion, a percentage).
  llvm::Value* scale(llvm::Value* a, int64_t num, int64_t den, uint32_t pos, llvm::BasicBlock* fail) {
    bool plain = den != 0 && den != INT64_MIN && num != INT64_MIN;
    if (llvm::Value* v = callUnlessInline(scale_, {a, c64(num), c64(den)}, plain, pos, fail)) return v;
    if (den < 0) { num = -num; den = -den; }  // the same rational: the same rounded quotient
    if (num == 1) return divHalfEven(a, den);
    return withFastPath(a, c64(num), nullptr, [&](llvm::Value* product) { return divHalfEven(product, den); },
                        [&] { return callRt(scale_, {a, c64(num), c64(den)}, pos, fail); });
  }
  // Rounding to a constant quantum in a constant mode (rt::decRound, the same steps).
  llvm::Value* round(llvm::Value* a, int64_t quantum, rt::RoundingMode mode, uint32_t pos, llvm::BasicBlock* fail) {
    if (llvm::Value* v = callUnlessInline(round_, {a, c64(quantum), c64(int64_t(mode))}, quantum > 0, pos, fail)) return v;
    llvm::Value* q = b_.CreateSDiv(a, c64(quantum));
    llvm::Value* r = b_.CreateSRem(a, c64(quantum));
    llvm::Value* inc = c64(0);
    if (mode != rt::RoundingMode::Down) {
      auto [past, tie] = pastOrTie(r, c64(quantum));
      llvm::Value* atTie = mode == rt::RoundingMode::HalfUp ? tie : b_.CreateAnd(tie, b_.CreateTrunc(q, b_.getInt1Ty()));
      inc = b_.CreateZExt(b_.CreateOr(past, atTie), i64_);
    }
    // Away from zero: r has a's sign, and the step is 0 when r is 0.
    llvm::Value* stepped = b_.CreateAdd(q, b_.CreateSelect(b_.CreateICmpSLT(r, c64(0)), b_.CreateNeg(inc), inc));
    return checked(llvm::Intrinsic::smul_with_overflow, stepped, c64(quantum), pos, fail);
  }
  llvm::Value* neg(llvm::Value* a, uint32_t pos, llvm::BasicBlock* fail) {
    if (llvm::Value* v = callUnlessInline(neg_, {a}, true, pos, fail)) return v;
    return checked(llvm::Intrinsic::ssub_with_overflow, c64(0), a, pos, fail);
  }
  llvm::Value* abs(llvm::Value* a, uint32_t pos, llvm::BasicBlock* fail) {
    if (llvm::Value* v = callUnlessInline(abs_, {a}, true, pos, fail)) return v;
    llvm::Value* negated = checked(llvm::Intrinsic::ssub_with_overflow, c64(0), a, pos, fail);
    return b_.CreateSelect(b_.CreateICmpSLT(a, c64(0)), negated, a);
  }
  // |r| against d - |r| for a remainder r of a division by d > 0: past the midpoint, exactly at it.
  std::pair<llvm::Value*, llvm::Value*> pastOrTie(llvm::Value* r, llvm::Value* d) {
    llvm::Value* ar = b_.CreateSelect(b_.CreateICmpSLT(r, c64(0)), b_.CreateNeg(r), r);  // r > -d: no overflow
    llvm::Value* rest = b_.CreateSub(d, ar);
    return {b_.CreateICmpSGT(ar, rest), b_.CreateICmpEQ(ar, rest)};
  }
  // n / d rounded half-even for a constant d > 0 (rt::detail::divHalfEven).
  llvm::Value* divHalfEven(llvm::Value* n, int64_t d) { return d == 1 ? n : divHalfEven(n, c64(d)); }
  // The same for d > 0 known at run time only (a constant one becomes a multiplication).
  llvm::Value* divHalfEven(llvm::Value* n, llvm::Value* d) {
    llvm::Value* q = b_.CreateSDiv(n, d);
    llvm::Value* r = b_.CreateSRem(n, d);
    auto [past, tie] = pastOrTie(r, d);
    llvm::Value* inc = b_.CreateZExt(b_.CreateOr(past, b_.CreateAnd(tie, b_.CreateTrunc(q, b_.getInt1Ty()))), i64_);
    return b_.CreateAdd(q, b_.CreateSelect(b_.CreateICmpSLT(r, c64(0)), b_.CreateNeg(inc), inc));
  }
  // a * c in 64 bits then `rest` of it inline, when the product fits and `guard` (if any) holds;
  // otherwise `slow()`, the runtime's call, gives the exact answer or the error.
  template <typename Rest, typename Slow>
  llvm::Value* withFastPath(llvm::Value* a, llvm::Value* c, llvm::Value* guard, Rest&& rest, Slow&& slow) {
    llvm::Value* m = b_.CreateBinaryIntrinsic(llvm::Intrinsic::smul_with_overflow, a, c);
    llvm::Value* leave = b_.CreateExtractValue(m, 1);
    if (guard) leave = b_.CreateOr(leave, b_.CreateNot(guard));
    auto* fast = block("fits"), *wide = block("wide"), *done = block("product");
    b_.CreateCondBr(leave, wide, fast, llvm::MDBuilder(ctx_).createBranchWeights(1, 1000));
    b_.SetInsertPoint(fast);
    llvm::Value* quick = rest(b_.CreateExtractValue(m, 0));
    llvm::BasicBlock* fastEnd = b_.GetInsertBlock();
    b_.CreateBr(done);
    b_.SetInsertPoint(wide);
    llvm::Value* exact = slow();
    llvm::BasicBlock* wideEnd = b_.GetInsertBlock();
    b_.CreateBr(done);
    return merge(done, quick, fastEnd, exact, wideEnd);
  }

  // A runtime call on constants is made now, by the same runtime function (`0 % of value`, a
  // constant rate's scale, a constant's rounding), and so is a product with a constant 0, which is 0
  // whatever the other operand. A call that would fail stays, so the error is raised at run time with
  // its clause position. Null: no fold.
  llvm::Value* fold(llvm::FunctionCallee f, std::initializer_list<llvm::Value*> args) {
    llvm::Value* fn = f.getCallee();
    auto isZero = [](llvm::Value* v) { auto* k = llvm::dyn_cast<llvm::ConstantInt>(v); return k && k->isZero(); };
    if ((fn == mul_.getCallee() || fn == scale_.getCallee()) && (isZero(args.begin()[0]) || isZero(args.begin()[1])))
      return c64(0);  // a scale's divisor is a non-zero constant
    std::vector<int64_t> v;
    for (llvm::Value* a : args) {
      auto* k = llvm::dyn_cast<llvm::ConstantInt>(a);
      if (!k) return nullptr;
      v.push_back(k->getSExtValue());
    }
    int64_t out = 0;
    rt::ErrCode e = rt::ErrCode::InvalidValue;
    if (fn == mul_.getCallee()) e = rt::decMul(v[0], v[1], &out);
    else if (fn == div_.getCallee()) e = rt::decDiv(v[0], v[1], &out);
    else if (fn == neg_.getCallee()) e = rt::decNeg(v[0], &out);
    else if (fn == abs_.getCallee()) e = rt::decAbs(v[0], &out);
    else if (fn == scale_.getCallee()) e = rt::decMulRatio(v[0], v[1], v[2], &out);
    else if (fn == round_.getCallee()) e = rt::decRound(v[0], v[1], rt::RoundingMode(v[2]), &out);
    else if (fn == mulScaled_.getCallee()) e = rt::decMulScaled(v[0], v[1], v[2], v[3], &out);
    else if (fn == divScaled_.getCallee()) e = rt::decDivScaled(v[0], v[1], v[2], v[3], &out);
    return e == rt::ErrCode::Ok ? c64(out) : nullptr;
  }

  // Ends the current block with a jump to `done` and merges two incoming values there.
  llvm::Value* merge(llvm::BasicBlock* done, llvm::Value* a, llvm::BasicBlock* aEnd, llvm::Value* c, llvm::BasicBlock* cEnd) {
    b_.SetInsertPoint(done);
    llvm::PHINode* phi = b_.CreatePHI(i64_, 2);
    phi->addIncoming(a, aEnd);
    phi->addIncoming(c, cEnd);
    return phi;
  }

  llvm::Value* c32(int64_t v) { return llvm::ConstantInt::get(i32_, uint64_t(v)); }

  // One measure, as the interpreter's Frame::run loop body: shadowed by a fired `first` block; scopes
  // (mineral, node, where), condition; lets, duty lines (rounded per line when declared), outcomes.
  // Any error drops what the measure added and records the error; the next measure runs regardless.
  void measure(uint32_t mi) {
    clauseBody_ = true;
    const ir::Measure& m = p_.measures[mi];
    auto* next = block("next_measure");
    if (m.block >= 0 && p_.blocks[size_t(m.block)].kind == "first") {
      auto* open = block("block_open");
      b_.CreateCondBr(b_.CreateICmpNE(firedAt(m.block, nullptr), llvm::ConstantInt::get(i8_, 0)), next, open);
      b_.SetInsertPoint(open);
    }
    if (!nativeMeasure(p_, m)) {
      b_.CreateCall(measure_, {frame_, c32(mi)});
      b_.CreateBr(next);
      b_.SetInsertPoint(next);
      return;
    }
    b_.CreateStore(c32(-1), field_);
    // A failure drops what the measure added: the executor removes the trailing lines and outcomes
    // of measure mi (it ran last), so nothing needs marking when a measure applies.
    auto* fail = block("measure_failed");
    anyScope(m.scopes, m.pos, next, fail, true);
    if (m.when >= 0) {
      auto* holds = block("applies");
      b_.CreateCondBr(b_.CreateICmpNE(gen(uint32_t(m.when), fail), c64(0)), holds, next);
      b_.SetInsertPoint(holds);
    }
    if (m.block >= 0) firedAt(m.block, llvm::ConstantInt::get(i8_, 1));
    llvm::Value* locals = view(offsetof(FrameView, locals), ptr_);
    for (uint32_t s = 0; s < m.slots; ++s) {
      b_.CreateStore(c64(0), b_.CreateConstInBoundsGEP1_64(i8_, locals, s * sizeof(Slot) + offsetof(Slot, i)));
      b_.CreateStore(llvm::ConstantPointerNull::get(ptr_), b_.CreateConstInBoundsGEP1_64(i8_, locals, s * sizeof(Slot) + offsetof(Slot, s)));
    }
    for (uint32_t si = 0; si < m.stmts.size(); ++si) stmt(mi, si, fail);
    b_.CreateBr(next);
    b_.SetInsertPoint(fail);
    b_.CreateCall(failed_, {frame_, errorAt(fail), b_.CreateLoad(i32_, field_), c32(mi)});
    b_.CreateBr(next);
    b_.SetInsertPoint(next);
  }


  // Loads blockFired[b], or stores `set` there.
  llvm::Value* firedAt(int b, llvm::Value* set) {
    llvm::Value* at = b_.CreateConstInBoundsGEP1_64(i8_, view(offsetof(FrameView, blockFired), ptr_), uint64_t(b));
    if (set) return b_.CreateStore(set, at);
    return b_.CreateLoad(i8_, at);
  }

  // Falls through when any of `scopes` holds (or there are none), else branches to `miss`.
  // Once the origin is `settled` (the measures), or for a scope that does not read it, a scope's
  // answer is kept in the executor's scopeState for the other clauses on it, as the interpreter keeps
  // it (1 out, 2 in; errors are not).
  void anyScope(const std::vector<int>& scopes, uint32_t pos, llvm::BasicBlock* miss, llvm::BasicBlock* fail, bool settled) {
    if (scopes.empty()) return;
    auto* inScope = block("in_scope");
    for (int si : scopes) {
      auto* tryNext = block("next_scope"), *bad = block("scope_failed");
      llvm::Value* state = nullptr;
      bool keep = settled || origin_.freeScopes[size_t(si)];
      if (keep) {
        state = b_.CreateConstInBoundsGEP1_64(i8_, view(offsetof(FrameView, scopeState), ptr_), uint64_t(si));
        auto* unknown = block("scope_unknown");
        llvm::SwitchInst* known = b_.CreateSwitch(b_.CreateLoad(i8_, state), unknown, 2);
        known->addCase(b_.getInt8(1), tryNext);
        known->addCase(b_.getInt8(2), inScope);
        b_.SetInsertPoint(unknown);
      }
      llvm::Value* r = b_.CreateCall(scopeFn(uint32_t(si)), {frame_});
      llvm::BasicBlock* out = tryNext, *in = inScope;
      if (keep) {
        out = block("scope_out");
        in = block("scope_in");
      }
      llvm::SwitchInst* sw = b_.CreateSwitch(r, bad, 2);
      sw->addCase(b_.getInt64(0), out);
      sw->addCase(b_.getInt64(1), in);
      if (keep) {
        b_.SetInsertPoint(out);
        b_.CreateStore(b_.getInt8(1), state);
        b_.CreateBr(tryNext);
        b_.SetInsertPoint(in);
        b_.CreateStore(b_.getInt8(2), state);
        b_.CreateBr(inScope);
      }
      b_.SetInsertPoint(bad);
      llvm::Value* isField = b_.CreateICmpULT(r, c64(int64_t(1) << 32));
      b_.CreateStore(b_.CreateSelect(isField, b_.CreateTrunc(b_.CreateSub(r, c64(2)), i32_), c32(-1)), field_);
      jumpToFail(b_.CreateSelect(isField, c64(int64_t(packError(rt::ErrCode::MissingField, pos))), r), fail);
      b_.SetInsertPoint(tryNext);
    }
    b_.CreateBr(miss);
    b_.SetInsertPoint(inScope);
  }

  // Falls through when the scope holds, branches to `miss` when not, to `fail` on a missing field.
  void scope(const ir::Scope& s, uint32_t pos, llvm::BasicBlock* miss, llvm::BasicBlock* fail) {
    auto member = [&](int fieldIdx, size_t viewOffset, const std::vector<int>& allowed, const std::vector<int>& groups) {
      if (allowed.empty() && groups.empty()) return;
      llvm::Value* cell = view(viewOffset, ptr_);
      auto* present = block("scope_field"), *absent = block("scope_field_missing");
      b_.CreateCondBr(b_.CreateICmpNE(at(cell, offsetof(rt::FieldValue, present), i8_), llvm::ConstantInt::get(i8_, 0)), present, absent);
      b_.SetInsertPoint(absent);
      b_.CreateStore(c32(fieldIdx), field_);
      raise(rt::ErrCode::MissingField, pos, fail);
      b_.SetInsertPoint(present);
      llvm::Value* v = at(cell, offsetof(rt::FieldValue, i), i64_);
      llvm::Value* any = nullptr;
      for (int a : allowed) orInto(any, b_.CreateICmpEQ(v, c64(a)));
      for (int g : groups) orInto(any, memberOf(v, uint32_t(g)));
      auto* ok = block("scope_member");
      b_.CreateCondBr(orFalse(any), ok, miss);
      b_.SetInsertPoint(ok);
    };
    member(ir::kFieldMineral, offsetof(FrameView, mineral), s.minerals, s.mineralGroups);
    member(ir::kFieldNode, offsetof(FrameView, node), s.nodes, s.nodeGroups);
    if (s.where >= 0) {
      auto* ok = block("scope_where");
      b_.CreateCondBr(b_.CreateICmpNE(gen(uint32_t(s.where), fail), c64(0)), ok, miss);
      b_.SetInsertPoint(ok);
    }
  }

  void stmt(uint32_t mi, uint32_t si, llvm::BasicBlock* fail) {
    const ir::Stmt& s = p_.measures[mi].stmts[si];
    auto* done = block("stmt_done");
    if (s.when >= 0) {
      auto* run = block("stmt_when");
      b_.CreateCondBr(b_.CreateICmpNE(gen(uint32_t(s.when), fail), c64(0)), run, done);
      b_.SetInsertPoint(run);
    }
    if (s.kind == ir::Stmt::Let) {
      Kind k = p_.nodes[uint32_t(s.value)].kind;
      if (k == Kind::Text || k == Kind::Hs) {
        // Text lives in the executor's slots (a pointer into the record or a registry row).
        failIfPacked(b_.CreateCall(let_, {frame_, c32(mi), c32(si)}), fail);
      } else {
        llvm::Value* v = gen(uint32_t(s.value), fail);
        b_.CreateStore(v, b_.CreateConstInBoundsGEP1_64(i8_, view(offsetof(FrameView, locals), ptr_), s.slot * sizeof(Slot) + offsetof(Slot, i)));
      }
    } else if (s.kind == ir::Stmt::Duty) {
      // `rate of base`: the rate and the base are the amount's own operands, evaluated once, in the
      // order the amount evaluates them (so the first error is the same).
      llvm::Value* rate = c64(0), *base = c64(0);
      if (s.rate >= 0) {
        rate = gen(uint32_t(s.rate), fail);
        base = gen(uint32_t(s.base), fail);
        known_ = {{uint32_t(s.rate), rate}, {uint32_t(s.base), base}};
      }
      llvm::Value* amount = gen(uint32_t(s.value), fail);
      known_.clear();
      llvm::Value* rounded = amount;
      if (p_.rounding.declared && p_.rounding.perLine)
        rounded = round(amount, p_.rounding.quantum, p_.rounding.mode, s.pos, fail);
      uint64_t at = lineAt(mi, si, s.rate >= 0);
      b_.CreateCall(line_, {frame_, c64(int64_t(at)), amount, rate, base, rounded});
    } else {
      b_.CreateCall(outcome_, {frame_, c32(mi), c32(si)});
    }
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  // Membership of value v in group g on the entry date, unrolled.
  llvm::Value* memberOf(llvm::Value* v, uint32_t g) {
    llvm::Value* date = view(offsetof(FrameView, date), i64_);
    llvm::Value* any = nullptr;
    for (const auto& m : p_.groups[g].members) {
      llvm::Value* hit = b_.CreateICmpEQ(v, c64(m.country));
      if (m.from > rt::kMinDate) hit = b_.CreateAnd(hit, b_.CreateICmpSLE(c64(m.from), date));
      if (m.until < rt::kMaxDate) hit = b_.CreateAnd(hit, b_.CreateICmpSLE(date, c64(m.until)));
      orInto(any, hit);
    }
    return orFalse(any);
  }

  // A callback node whose first step is reading a shipment field (owned_share of an entity field, a
  // text field compared with a constant, as the executor's absentFieldRead): when that field is
  // absent and has no default the answer is E0004, known here without the call; when it is present
  // the comparison or the ownership query is made directly. Only in clause bodies, whose failure
  // report names the field through field_.
  llvm::Value* callbackNode(uint32_t idx, const ir::Node& n, llvm::BasicBlock* fail) {
    if (n.op == Op::SeriesAgg) {  // the executor's window query directly
      failIfPacked(b_.CreateCall(series_, {frame_, c32(idx), tmp_}), fail);
      return b_.CreateLoad(i64_, tmp_);
    }
    const uint32_t* k = p_.kidsOf(n);
    bool readsFirst = n.op == Op::OwnedShare || ((n.op == Op::Eq || n.op == Op::Ne) && p_.nodes[k[1]].op == Op::Const);
    const ir::Node* f = readsFirst ? &p_.nodes[k[0]] : nullptr;
    if (!clauseBody_ || !f || f->op != Op::Field || f->a == ir::kFieldMineral || f->a == ir::kFieldNode || p_.hasDefault[f->a])
      return viaCallback(idx, fail);
    llvm::Value* cell = cellOf(f->a);
    auto* absent = block("field_absent"), *present = block("field_present");
    b_.CreateCondBr(b_.CreateICmpNE(at(cell, offsetof(rt::FieldValue, present), i8_), llvm::ConstantInt::get(i8_, 0)), present, absent);
    b_.SetInsertPoint(absent);
    b_.CreateStore(c32(int64_t(f->a)), field_);
    raise(rt::ErrCode::MissingField, f->pos, fail);
    b_.SetInsertPoint(present);
    if (n.op != Op::OwnedShare) return textEquals(cell, p_.nodes[k[1]].str, n.op == Op::Ne);
    // The entity is this cell: the frame's last answer when it was about this cell and group (an
    // origin rule and a measure often ask the same), else the executor's ownership query directly,
    // without its walk of the node.
    llvm::Value* entity = b_.CreateConstInBoundsGEP1_64(i8_, cell, offsetof(rt::FieldValue, s));
    llvm::Value* same = b_.CreateAnd(b_.CreateICmpEQ(view(offsetof(FrameView, shareEntity), ptr_), entity),
                                     b_.CreateICmpEQ(view(offsetof(FrameView, shareGroup), i32_), c32(n.a)));
    auto* memo = block("share_memo"), *ask = block("share_ask"), *join = block("share");
    b_.CreateCondBr(same, memo, ask);
    b_.SetInsertPoint(memo);
    llvm::Value* known = view(offsetof(FrameView, shareValue), i64_);
    b_.CreateBr(join);
    b_.SetInsertPoint(ask);
    failIfPacked(b_.CreateCall(share_, {frame_, cell, c32(idx), tmp_}), fail);
    llvm::Value* asked = b_.CreateLoad(i64_, tmp_);
    llvm::BasicBlock* askedIn = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    llvm::PHINode* v = b_.CreatePHI(i64_, 2);
    v->addIncoming(known, memo);
    v->addIncoming(asked, askedIn);
    return v;
  }

  // A present text field (or HS code) against a constant text: the runtime's comparison, as the
  // executor's compareText. The constant is a string in the module, never a pointer baked into the
  // code (the machine code may come from the object cache).
  llvm::Value* textEquals(llvm::Value* cell, const std::string& text, bool negate) {
    llvm::Value* str = b_.CreateGlobalString(text, "text", 0, &m_);
    llvm::Value* eq = b_.CreateCall(textEq_, {cell, str, c64(int64_t(text.size()))});
    return negate ? b_.CreateXor(eq, c64(1)) : eq;
  }

  // Evaluates node idx through the executor's callback (also the cold path of inline reads that
  // fail: the executor then builds the error with its detail).
  llvm::Value* viaCallback(uint32_t idx, llvm::BasicBlock* fail) {
    failIfPacked(b_.CreateCall(callback_, {frame_, llvm::ConstantInt::get(i32_, idx), tmp_}), fail);
    return b_.CreateLoad(i64_, tmp_);
  }


  // Loads a member of the FrameView (offsets from the C++ struct itself), or stores one.
  // Members that do not change while generated code runs are loaded once, in the entry block.
  llvm::Value* view(size_t offset, llvm::Type* t) {
    bool fixed = offset == offsetof(FrameView, values) || offset == offsetof(FrameView, mineral) ||
                 offset == offsetof(FrameView, node) || offset == offsetof(FrameView, globals) ||
                 offset == offsetof(FrameView, globalState) || offset == offsetof(FrameView, blockFired) ||
                 offset == offsetof(FrameView, scopeState) ||
                 offset == offsetof(FrameView, date);
    if (!fixed) return b_.CreateLoad(t, member(offset));
    for (const auto& [off, v] : entryLoads_)
      if (off == offset) return v;
    llvm::IRBuilder<> entry(entryEnd_->getParent(), std::next(entryEnd_->getIterator()));
    llvm::Value* v = entry.CreateLoad(t, entry.CreateConstInBoundsGEP1_64(i8_, frame_, offset));
    entryLoads_.push_back({offset, v});
    return v;
  }
  llvm::Value* member(size_t offset) { return offset ? b_.CreateConstInBoundsGEP1_64(i8_, frame_, offset) : frame_; }
  void setView(size_t offset, llvm::Value* v) { b_.CreateStore(v, member(offset)); }
  // The shipment's cell of field f (an rt::FieldValue).
  llvm::Value* cellOf(uint32_t f) { return b_.CreateConstInBoundsGEP1_64(i8_, view(offsetof(FrameView, values), ptr_), f * sizeof(rt::FieldValue)); }
  llvm::Value* at(llvm::Value* base, size_t offset, llvm::Type* t) {
    return b_.CreateLoad(t, offset ? b_.CreateConstInBoundsGEP1_64(i8_, base, offset) : base);
  }
  // any | x, where a null `any` is false (no `or false` for LLVM to fold away).
  void orInto(llvm::Value*& any, llvm::Value* x) { any = any ? b_.CreateOr(any, x) : x; }
  llvm::Value* orFalse(llvm::Value* any) { return any ? any : llvm::ConstantInt::getFalse(ctx_); }

  // `fast` when `cond` holds, else the callback for idx; merged.
  llvm::Value* orCallback(llvm::Value* cond, llvm::Value* fast, uint32_t idx, llvm::BasicBlock* fail) {
    llvm::BasicBlock* from = b_.GetInsertBlock();
    auto* slow = block("slow"), *done = block("read");
    b_.CreateCondBr(cond, done, slow);
    b_.SetInsertPoint(slow);
    llvm::Value* sv = viaCallback(idx, fail);
    llvm::BasicBlock* slowEnd = b_.GetInsertBlock();
    b_.CreateBr(done);
    return merge(done, fast, from, sv, slowEnd);
  }

  // A shipment field: the quota part's quantity/value inside a quota, else the cell; an absent cell
  // takes the field's default, or fails through the callback (which names the field).
  llvm::Value* field(uint32_t idx, const ir::Node& n, llvm::BasicBlock* fail) {
    llvm::Value* cell = nullptr;
    if (n.a == ir::kFieldMineral) cell = view(offsetof(FrameView, mineral), ptr_);
    else if (n.a == ir::kFieldNode) cell = view(offsetof(FrameView, node), ptr_);
    else cell = cellOf(n.a);
    llvm::Value* present = b_.CreateICmpNE(at(cell, offsetof(rt::FieldValue, present), i8_), llvm::ConstantInt::get(i8_, 0));
    llvm::Value* v = nullptr;
    if (p_.hasDefault[n.a]) {
      v = b_.CreateSelect(present, at(cell, offsetof(rt::FieldValue, i), i64_), c64(p_.fieldDefaults[n.a]));
    } else {
      auto* load = block("present"), *slow = block("absent"), *done = block("cell");
      b_.CreateCondBr(present, load, slow);
      b_.SetInsertPoint(load);
      llvm::Value* fast = at(cell, offsetof(rt::FieldValue, i), i64_);
      b_.CreateBr(done);
      b_.SetInsertPoint(slow);
      if (clauseBody_ && n.a != ir::kFieldMineral && n.a != ir::kFieldNode && n.a != ir::kFieldQuantity &&
          n.a != ir::kFieldValue) {
        // The executor's answer (absentFieldRead) known here: E0004 naming the field, without the call.
        b_.CreateStore(c32(int64_t(n.a)), field_);
        raise(rt::ErrCode::MissingField, n.pos, fail);
        b_.SetInsertPoint(done);  // reached from `load` only
        v = fast;
      } else {
        llvm::Value* sv = viaCallback(idx, fail);
        llvm::BasicBlock* slowEnd = b_.GetInsertBlock();
        b_.CreateBr(done);
        v = merge(done, fast, load, sv, slowEnd);
      }
    }
    // Only a quota part has its own quantity and value, and quota measures are the executor's.
    if (!inMeasures_ && (n.a == ir::kFieldQuantity || n.a == ir::kFieldValue)) {
      llvm::Value* inPart = b_.CreateICmpNE(view(offsetof(FrameView, portion), i8_), llvm::ConstantInt::get(i8_, 0));
      size_t off = n.a == ir::kFieldQuantity ? offsetof(FrameView, portionQty) : offsetof(FrameView, portionValue);
      v = b_.CreateSelect(inPart, view(off, i64_), v);
    }
    return v;
  }

  // Evaluates node idx; on error branches to fail with the packed error.
  llvm::Value* gen(uint32_t idx, llvm::BasicBlock* fail) {
    for (const auto& [node, value] : known_)
      if (node == idx) return value;
    const ir::Node& n = p_.nodes[idx];
    if (!inlineOp(p_, n)) return callbackNode(idx, n, fail);
    const uint32_t* k = p_.kidsOf(n);
    switch (n.op) {
      case Op::Const: return c64(n.imm);
      case Op::Field: return field(idx, n, fail);
      case Op::Origin: return view(offsetof(FrameView, origin), i64_);
      case Op::InGroup: return b_.CreateZExt(memberOf(gen(k[0], fail), n.a), i64_);
      case Op::Local: return at(view(offsetof(FrameView, locals), ptr_), n.a * sizeof(Slot) + offsetof(Slot, i), i64_);
      case Op::Global: {
        // Computed once per shipment and read here once done. The clauses compute it natively; an
        // expression function lets the executor do it (a traced run reports the value).
        llvm::Value* done = b_.CreateICmpEQ(at(view(offsetof(FrameView, globalState), ptr_), n.a, i8_), llvm::ConstantInt::get(i8_, 2));
        llvm::Value* cached = at(view(offsetof(FrameView, globals), ptr_), n.a * sizeof(Slot) + offsetof(Slot, i), i64_);
        if (!inMeasures_) return orCallback(done, cached, idx, fail);
        llvm::BasicBlock* from = b_.GetInsertBlock();
        auto* compute = block("global"), *read = block("global_done");
        b_.CreateCondBr(done, read, compute);
        b_.SetInsertPoint(compute);
        failIfPacked(b_.CreateCall(globalFn(n.a), {frame_}), fail);
        llvm::Value* fresh = at(view(offsetof(FrameView, globals), ptr_), n.a * sizeof(Slot) + offsetof(Slot, i), i64_);
        llvm::BasicBlock* computeEnd = b_.GetInsertBlock();
        b_.CreateBr(read);
        return merge(read, cached, from, fresh, computeEnd);
      }
      case Op::HsIn: {
        // A present cell with a key; anything else (absent, a default, no key) is the executor's.
        const ir::Node& f = p_.nodes[k[0]];
        llvm::Value* cell = cellOf(f.a);
        llvm::Value* key = at(cell, offsetof(rt::FieldValue, i), i64_);
        llvm::Value* usable = b_.CreateAnd(b_.CreateICmpNE(at(cell, offsetof(rt::FieldValue, present), i8_), llvm::ConstantInt::get(i8_, 0)),
                                           b_.CreateICmpSGT(key, c64(0)));
        llvm::Value* any = nullptr;
        for (const std::string& pre : p_.strLists[n.a]) {
          rt::HsRange r = rt::hsPrefixRange(pre);  // lo <= key < hi as one unsigned comparison
          orInto(any, b_.CreateICmpULT(b_.CreateSub(key, c64(r.lo)), c64(r.hi - r.lo)));
        }
        return orCallback(usable, b_.CreateZExt(orFalse(any), i64_), idx, fail);
      }
      case Op::Schedule: return schedule(idx, n, fail);
      case Op::UnitPrice: {
        // value / quantity of the whole shipment; a failure is rebuilt by the executor with its detail.
        llvm::Value* cells = view(offsetof(FrameView, values), ptr_);
        llvm::Value* value = at(cells, ir::kFieldValue * sizeof(rt::FieldValue) + offsetof(rt::FieldValue, i), i64_);
        llvm::Value* qty = at(cells, ir::kFieldQuantity * sizeof(rt::FieldValue) + offsetof(rt::FieldValue, i), i64_);
        ir::UnitFactor f = ir::unitFactorOf(n);  // read in another unit: the runtime's quotient by m/k
        if (inlineArith_ && f.one())  // the quotient inline as in div(); anything else is the executor's
          return withFastPath(value, c64(rt::kOne), b_.CreateICmpSGT(qty, c64(0)),
                              [&](llvm::Value* scaled) { return divHalfEven(scaled, qty); }, [&] { return viaCallback(idx, fail); });
        llvm::Value* packed = f.one() ? b_.CreateCall(div_, {value, qty, c32(n.pos), tmp_})
                                      : b_.CreateCall(divScaled_, {value, qty, c64(f.m), c64(f.k), c32(n.pos), tmp_});
        return orCallback(b_.CreateICmpEQ(packed, c64(0)), b_.CreateLoad(i64_, tmp_), idx, fail);
      }
      case Op::Add:
      case Op::Sub: {
        llvm::Value* a = gen(k[0], fail);
        llvm::Value* c = gen(k[1], fail);
        return checked(n.op == Op::Add ? llvm::Intrinsic::sadd_with_overflow : llvm::Intrinsic::ssub_with_overflow, a, c, n.pos, fail);
      }
      case Op::Mul: {
        llvm::Value* a = gen(k[0], fail);
        llvm::Value* c = gen(k[1], fail);
        ir::UnitFactor f = ir::unitFactorOf(n);
        return f.m > 1 ? mulScaled(a, c, f.m, f.k, n.pos, fail) : f.k > 1 ? mulDiv(a, c, f.k, n.pos, fail) : mul(a, c, n.pos, fail);
      }
      case Op::Div: {
        llvm::Value* a = gen(k[0], fail);
        llvm::Value* c = gen(k[1], fail);
        ir::UnitFactor f = ir::unitFactorOf(n);
        return f.one() ? div(a, c, n.pos, fail) : callRt(divScaled_, {a, c, c64(f.m), c64(f.k)}, n.pos, fail);
      }
      case Op::Neg: return neg(gen(k[0], fail), n.pos, fail);
      case Op::Abs: return abs(gen(k[0], fail), n.pos, fail);
      case Op::Scale: return scale(gen(k[0], fail), n.imm, n.imm2, n.pos, fail);
      case Op::Round: return round(gen(k[0], fail), n.imm, rt::RoundingMode(n.a), n.pos, fail);
      case Op::Min:
      case Op::Max: {
        llvm::Value* best = gen(k[0], fail);
        for (uint32_t j = 1; j < n.kidsCount; ++j) {
          llvm::Value* v = gen(k[j], fail);
          llvm::Value* take = n.op == Op::Min ? b_.CreateICmpSLT(v, best) : b_.CreateICmpSGT(v, best);
          best = b_.CreateSelect(take, v, best);
        }
        return best;
      }
      case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::Eq: case Op::Ne: {
        llvm::Value* a = gen(k[0], fail);
        llvm::Value* c = gen(k[1], fail);
        llvm::CmpInst::Predicate pr = n.op == Op::Lt ? llvm::CmpInst::ICMP_SLT : n.op == Op::Le ? llvm::CmpInst::ICMP_SLE
                                    : n.op == Op::Gt ? llvm::CmpInst::ICMP_SGT : n.op == Op::Ge ? llvm::CmpInst::ICMP_SGE
                                    : n.op == Op::Eq ? llvm::CmpInst::ICMP_EQ : llvm::CmpInst::ICMP_NE;
        if (n.imm > 0) {  // two units: a * imm against c * imm2 in 128 bits (rt::decCompareScaled)
          llvm::Type* i128 = b_.getInt128Ty();
          a = b_.CreateMul(b_.CreateSExt(a, i128), llvm::ConstantInt::get(i128, uint64_t(n.imm)), "", false, true);
          c = b_.CreateMul(b_.CreateSExt(c, i128), llvm::ConstantInt::get(i128, uint64_t(n.imm2)), "", false, true);
        }
        return b_.CreateZExt(b_.CreateICmp(pr, a, c), i64_);
      }
      case Op::InList: {
        llvm::Value* v = gen(k[0], fail);
        llvm::Value* any = nullptr;
        for (uint32_t j = 1; j < n.kidsCount; ++j) orInto(any, b_.CreateICmpEQ(v, gen(k[j], fail)));
        return b_.CreateZExt(orFalse(any), i64_);
      }
      case Op::Not: return b_.CreateZExt(b_.CreateICmpEQ(gen(k[0], fail), c64(0)), i64_);
      case Op::And:
      case Op::Or: {
        // Short-circuit: the right side is not evaluated (nor can it fail) when the left decides.
        llvm::Value* a = gen(k[0], fail);
        llvm::BasicBlock* from = b_.GetInsertBlock();
        auto* rhs = block("rhs"), *done = block("done");
        llvm::Value* decided = n.op == Op::And ? b_.CreateICmpEQ(a, c64(0)) : b_.CreateICmpNE(a, c64(0));
        b_.CreateCondBr(decided, done, rhs);
        b_.SetInsertPoint(rhs);
        llvm::Value* c = b_.CreateZExt(b_.CreateICmpNE(gen(k[1], fail), c64(0)), i64_);
        llvm::BasicBlock* rhsEnd = b_.GetInsertBlock();
        b_.CreateBr(done);
        return merge(done, c64(n.op == Op::And ? 0 : 1), from, c, rhsEnd);
      }
      case Op::If: {
        llvm::Value* cond = gen(k[0], fail);
        auto* th = block("then"), *el = block("else"), *done = block("endif");
        b_.CreateCondBr(b_.CreateICmpNE(cond, c64(0)), th, el);
        b_.SetInsertPoint(th);
        llvm::Value* tv = gen(k[1], fail);
        llvm::BasicBlock* thEnd = b_.GetInsertBlock();
        b_.CreateBr(done);
        b_.SetInsertPoint(el);
        llvm::Value* ev = gen(k[2], fail);
        llvm::BasicBlock* elEnd = b_.GetInsertBlock();
        b_.CreateBr(done);
        return merge(done, tv, thEnd, ev, elEnd);
      }
      case Op::Otherwise:
      case Op::Present: {
        // The primary fails into a local handler: missing data takes the fallback (or answers 0),
        // any other error goes on to the enclosing failure target.
        auto* handler = block("missing"), *done = block("after");
        llvm::Value* v = gen(k[0], handler);
        if (n.op == Op::Present) v = c64(1);
        llvm::BasicBlock* okEnd = b_.GetInsertBlock();
        b_.CreateBr(done);
        b_.SetInsertPoint(handler);
        llvm::Value* err = errorAt(handler);
        llvm::Value* code = b_.CreateLShr(err, 32);
        // The missing-data codes as one bit test (codes are small: < 64).
        uint64_t mask = 0;
        for (auto c : {rt::ErrCode::MissingObservation, rt::ErrCode::MissingField, rt::ErrCode::NoRegistryRow,
                       rt::ErrCode::ScheduleNotInEffect})
          mask |= uint64_t(1) << unsigned(c);
        llvm::Value* bit = b_.CreateShl(c64(1), b_.CreateAnd(code, c64(63)));
        llvm::Value* missing = b_.CreateAnd(b_.CreateICmpULT(code, c64(64)), b_.CreateICmpNE(b_.CreateAnd(bit, c64(int64_t(mask))), c64(0)));
        auto* fallback = block("fallback");
        failPhi(fail)->addIncoming(err, b_.GetInsertBlock());
        b_.CreateCondBr(missing, fallback, fail);
        b_.SetInsertPoint(fallback);
        if (clauseBody_) b_.CreateStore(c32(-1), field_);  // handled: no longer the clause's missing field
        llvm::Value* fv = n.op == Op::Present ? c64(0) : gen(k[1], fail);
        llvm::BasicBlock* fbEnd = b_.GetInsertBlock();
        b_.CreateBr(done);
        return merge(done, v, okEnd, fv, fbEnd);
      }
      case Op::DaysBetween: {
        llvm::Value* a = gen(k[0], fail);
        llvm::Value* c = gen(k[1], fail);
        return b_.CreateMul(b_.CreateSub(c, a), c64(rt::kOne));  // dates are in range: no overflow
      }
      default: break;
    }
    raise(rt::ErrCode::InvalidValue, n.pos, fail);  // unreachable: inlineOp and this switch agree
    b_.SetInsertPoint(block("dead"));
    return c64(0);
  }

  // The schedule's value on the entry date: the last point on or before it (step), or the straight
  // line to the next point (linear). Before the first point without a `before` value: the executor
  // builds the error with its detail.
  llvm::Value* schedule(uint32_t idx, const ir::Node& n, llvm::BasicBlock* fail) {
    const ir::Schedule& s = p_.schedules[n.a];
    const auto& pts = s.points;
    if (pts.empty()) return s.hasBefore ? c64(s.before) : viaCallback(idx, fail);
    llvm::Value* date = view(offsetof(FrameView, date), i64_);
    auto* done = block("schedule");
    std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> in;
    auto* started = block("schedule_started"), *before = block("schedule_before");
    b_.CreateCondBr(b_.CreateICmpSLT(date, c64(pts[0].date)), before, started);
    b_.SetInsertPoint(before);
    in.push_back({s.hasBefore ? c64(s.before) : viaCallback(idx, fail), b_.GetInsertBlock()});
    b_.CreateBr(done);
    b_.SetInsertPoint(started);
    if (!s.linear) {
      llvm::Value* v = c64(pts[0].value);
      for (size_t k = 1; k < pts.size(); ++k) v = b_.CreateSelect(b_.CreateICmpSGE(date, c64(pts[k].date)), c64(pts[k].value), v);
      in.push_back({v, b_.GetInsertBlock()});
      b_.CreateBr(done);
    } else {
      for (size_t k = 0; k + 1 < pts.size(); ++k) {
        // Segment k: pts[k].date <= date < pts[k+1].date.
        const ir::SchedulePoint& a = pts[k], &c = pts[k + 1];
        auto* seg = block("segment"), *later = block("later"), *between = block("between");
        b_.CreateCondBr(b_.CreateICmpSLT(date, c64(c.date)), seg, later);
        b_.SetInsertPoint(seg);
        b_.CreateCondBr(b_.CreateICmpEQ(date, c64(a.date)), done, between);
        in.push_back({c64(a.value), seg});
        b_.SetInsertPoint(between);
        int64_t diff = 0;
        if (rt::decSub(c.value, a.value, &diff) != rt::ErrCode::Ok) {
          raise(rt::ErrCode::Overflow, n.pos, fail);
        } else {
          llvm::Value* part = callRt(scale_, {c64(diff), b_.CreateSub(date, c64(a.date)), c64(int64_t(c.date) - a.date)}, n.pos, fail);
          in.push_back({checked(llvm::Intrinsic::sadd_with_overflow, c64(a.value), part, n.pos, fail), b_.GetInsertBlock()});
          b_.CreateBr(done);
        }
        b_.SetInsertPoint(later);
      }
      in.push_back({c64(pts.back().value), b_.GetInsertBlock()});
      b_.CreateBr(done);
    }
    b_.SetInsertPoint(done);
    llvm::PHINode* phi = b_.CreatePHI(i64_, unsigned(in.size()));
    for (auto& [v, from] : in) phi->addIncoming(v, from);
    return phi;
  }

  const ir::Program& p_;
  ir::OriginReaders origin_;  // scopes whose answer is kept during the origin rules too; values to redo
  llvm::LLVMContext& ctx_;
  llvm::Module& m_;
  llvm::IRBuilder<> b_;
  bool inlineArith_;  // decimal arithmetic with constant divisors inline (O2, one module), else calls
  bool inlineClauses_;  // O2 and a small agreement: internal clause functions may be inlined
  llvm::Type* i64_;
  llvm::Type* i32_;
  llvm::Type* i8_;
  llvm::PointerType* ptr_;
  llvm::FunctionCallee mul_, div_, neg_, abs_, scale_, round_, mulScaled_, divScaled_, textEq_, callback_;
  llvm::FunctionCallee failed_, line_, outcome_, let_, measure_, share_, series_;
  struct Pending { bool scope; uint32_t index; llvm::Function* fn; };
  std::vector<Pending> pending_;  // scope and top-level value functions declared, bodies not yet generated
  llvm::Value* field_ = nullptr;  // measures: the scope field whose absence failed the measure, or -1
  bool inMeasures_ = false;   // generating the clauses or their helpers (never inside a quota part)
  bool clauseBody_ = false;   // generating a measure or origin rule body (field_ is reported)
  llvm::Instruction* entryEnd_ = nullptr;                    // loads of fixed members go after it
  std::vector<std::pair<size_t, llvm::Value*>> entryLoads_;  // ... and are reused
  std::vector<std::pair<uint32_t, llvm::Value*>> known_;     // nodes already evaluated in this statement
  llvm::Function* fn_ = nullptr;
  llvm::Value* frame_ = nullptr;
  llvm::Value* tmp_ = nullptr;
  std::unordered_map<llvm::BasicBlock*, llvm::PHINode*> failPhis_;  // failure targets' packed errors
};

}  // namespace

std::string functionName(uint32_t idx) { return "lode_expr_" + std::to_string(idx); }

std::vector<uint32_t> compiledRoots(const ir::Program& p) {
  // Every inline node whose parent is not inline (or that has no parent).
  std::vector<uint8_t> inl(p.nodes.size()), parentInline(p.nodes.size(), 0);
  for (size_t i = 0; i < p.nodes.size(); ++i) inl[i] = inlineOp(p, p.nodes[i]);
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const ir::Node& n = p.nodes[i];
    if (!inl[i]) continue;
    for (uint32_t j = 0; j < n.kidsCount; ++j) parentInline[p.kids[n.kidsBegin + j]] = 1;
  }
  // Expressions only the measures function evaluates (it generates them inline) need no function of
  // their own; the executor interprets them in the rare runs that need it (traces).
  std::vector<uint8_t> measuresOnly(p.nodes.size(), 0), executorScope(p.scopes.size(), 0);
  for (const ir::Measure& m : p.measures) {
    if (nativeMeasure(p, m)) continue;
    for (int s : m.scopes) executorScope[size_t(s)] = 1;
  }
  auto mark = [&](int node) { if (node >= 0) measuresOnly[size_t(node)] = 1; };
  for (const ir::Measure& m : p.measures) {
    if (!nativeMeasure(p, m)) continue;
    mark(m.when);
    for (int s : m.scopes)
      if (!executorScope[size_t(s)]) mark(p.scopes[size_t(s)].where);
    for (const ir::Stmt& s : m.stmts) { mark(s.when); mark(s.value); mark(s.rate); mark(s.base); }
  }
  for (const ir::OriginRule& o : p.originRules) {
    mark(int(o.when));
    mark(int(o.becomes));
    for (int s : o.scopes)
      if (!executorScope[size_t(s)]) mark(p.scopes[size_t(s)].where);
  }
  std::vector<uint32_t> roots;
  // A lone read (a constant, field, local, origin or top-level value) is as quick for the executor to
  // do itself as to call a function for.
  auto leaf = [&](const ir::Node& n) {
    return n.op == Op::Const || n.op == Op::Field || n.op == Op::Local || n.op == Op::Origin || n.op == Op::Global;
  };
  for (size_t i = 0; i < p.nodes.size(); ++i)
    if (inl[i] && !parentInline[i] && !leaf(p.nodes[i]) && !measuresOnly[i]) roots.push_back(uint32_t(i));

  return roots;
}

uint32_t partitionCount(const ir::Program& p) {
  size_t chunks = (p.measures.size() + kMeasuresPerFunction - 1) / kMeasuresPerFunction;
  return uint32_t(std::clamp<size_t>(chunks / kChunksPerPartition, 1, kMaxPartitions));
}

void generate(const ir::Program& p, const std::vector<uint32_t>& roots, uint32_t part, uint32_t parts, llvm::Module& m,
              bool inlineArithmetic) {
  Codegen cg(p, m.getContext(), m, inlineArithmetic);
  for (size_t i = roots.size() * part / parts; i < roots.size() * (part + 1) / parts; ++i) cg.function(roots[i]);
  cg.measures(part, parts);
}

}  // namespace lode::jit
