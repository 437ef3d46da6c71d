// Compiles an agreement's expressions with LLVM ORC (see jit.h): generate (codegen.cpp), optimise,
// emit an object file (or load it from the cache), link it into an LLJIT and look the functions up.
// One of the two translation units that include LLVM headers (with codegen.cpp).
#include "compiler/jit/jit.h"

#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>

#include <cstddef>
#include <array>
#include <chrono>
#include <mutex>
#include <optional>

#include "compiler/jit/codegen.h"
#include "compiler/jit/object_cache.h"
#include "runtime/decimal.h"

namespace lode::jit {

namespace {

// Runtime arithmetic shared with the interpreter: the same functions, so the same rounding and the
// same overflow answers. Add, subtract and compare are generated inline.
extern "C" uint32_t lode_rt_mul(int64_t a, int64_t b, int64_t* out) { return uint32_t(rt::decMul(a, b, out)); }
extern "C" uint32_t lode_rt_div(int64_t a, int64_t b, int64_t* out) { return uint32_t(rt::decDiv(a, b, out)); }
extern "C" uint32_t lode_rt_neg(int64_t a, int64_t* out) { return uint32_t(rt::decNeg(a, out)); }
extern "C" uint32_t lode_rt_abs(int64_t a, int64_t* out) { return uint32_t(rt::decAbs(a, out)); }
extern "C" uint32_t lode_rt_scale(int64_t a, int64_t num, int64_t den, int64_t* out) {
  return uint32_t(rt::decMulRatio(a, num, den, out));
}
extern "C" uint32_t lode_rt_round(int64_t a, int64_t q, int64_t mode, int64_t* out) {
  return uint32_t(rt::decRound(a, q, rt::RoundingMode(mode), out));
}

void initLlvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

void optimize(llvm::Module& m, OptLevel level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb;
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  if (level == OptLevel::O2) {
    pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(m, mam);
    return;
  }
  // The passes that matter for straight-line decimal glue: registers for the two stack slots,
  // common subexpressions, peepholes, and folding the error branches.
  llvm::FunctionPassManager fpm;
  fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
  fpm.addPass(llvm::EarlyCSEPass());
  fpm.addPass(llvm::InstCombinePass());
  fpm.addPass(llvm::SimplifyCFGPass());
  llvm::ModulePassManager mpm;
  mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
  mpm.run(m, mam);
}

// Bumped whenever codegen.cpp changes what it generates for the same program.
constexpr int kCodegenVersion = 6;

// Hash of everything the machine code depends on: what codegen reads from the program, the layout
// of the structs it reads, the level, the target and the versions.
std::string programHash(const ir::Program& p, const std::vector<uint32_t>& roots, OptLevel level, const std::string& target) {
  llvm::SHA256 h;
  auto bytes = [&](const void* d, size_t n) { h.update(llvm::ArrayRef<uint8_t>(static_cast<const uint8_t*>(d), n)); };
  auto num = [&](int64_t v) { bytes(&v, sizeof v); };
  auto text = [&](const std::string& t) { num(int64_t(t.size())); bytes(t.data(), t.size()); };
  text(LLVM_VERSION_STRING);
  text(target);
  num(kCodegenVersion);
  num(int64_t(level));
  for (size_t v : {sizeof(rt::FieldValue), offsetof(rt::FieldValue, present), offsetof(rt::FieldValue, i), sizeof(Slot),
                   sizeof(FrameView), offsetof(FrameView, date), offsetof(FrameView, portion), offsetof(FrameView, originRule)})
    num(int64_t(v));
  num(int64_t(p.nodes.size()));
  for (const ir::Node& n : p.nodes) {
    num(int64_t(n.op)); num(int64_t(n.kind)); num(n.b); num(n.c); num(n.a); num(n.imm); num(n.imm2); num(n.pos);
    num(n.kidsCount);
    for (uint32_t j = 0; j < n.kidsCount; ++j) num(p.kids[n.kidsBegin + j]);
  }
  for (const ir::Group& g : p.groups) {
    num(int64_t(g.members.size()));
    for (const auto& m : g.members) { num(m.country); num(m.from); num(m.until); }
  }
  for (size_t f = 0; f < p.hasDefault.size(); ++f) { num(p.hasDefault[f]); num(p.fieldDefaults[f]); }
  for (uint32_t r : roots) num(r);
  // What the measures function is generated from.
  for (const ir::Measure& m : p.measures) {
    num(m.when); num(m.block); num(m.quota); num(m.slots); num(m.pos); num(int64_t(m.scopes.size()));
    for (int s : m.scopes) num(s);
    num(int64_t(m.stmts.size()));
    for (const ir::Stmt& s : m.stmts) {
      num(s.kind); num(s.slot); num(s.when); num(s.value); num(s.rate); num(s.base); num(s.section); num(s.pos);
    }
  }
  for (const ir::Scope& s : p.scopes) {
    num(s.where);
    for (const auto* list : {&s.minerals, &s.nodes, &s.mineralGroups, &s.nodeGroups}) {
      num(int64_t(list->size()));
      for (int v : *list) num(v);
    }
  }
  for (const ir::Block& b : p.blocks) text(b.kind);
  for (const ir::OriginRule& o : p.originRules) {
    num(o.when); num(o.becomes); num(o.pos); num(int64_t(o.scopes.size()));
    for (int s : o.scopes) num(s);
  }
  for (const ir::Schedule& s : p.schedules) {
    num(s.linear); num(s.hasBefore); num(s.before); num(int64_t(s.points.size()));
    for (const auto& pt : s.points) { num(pt.date); num(pt.value); }
  }
  for (const auto& list : p.strLists) {
    num(int64_t(list.size()));
    for (const std::string& pre : list) text(pre);
  }
  for (const ir::Def& d : p.defs) num(d.node);
  num(p.rounding.declared); num(p.rounding.perLine); num(p.rounding.quantum); num(int64_t(p.rounding.mode));
  std::array<uint8_t, 32> digest = h.final();
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (uint8_t b : digest) { out += hex[b >> 4]; out += hex[b & 15]; }
  return out;
}

// Generates, optimises and emits the object file for the roots.
using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point& t) {
  auto now = Clock::now();
  double ms = std::chrono::duration<double, std::milli>(now - t).count();
  t = now;
  return ms;
}

llvm::Expected<std::string> emitObject(const ir::Program& p, const std::vector<uint32_t>& roots, OptLevel level,
                                       llvm::orc::JITTargetMachineBuilder jtmb, CompiledProgram::Phases& phases) {
  auto t = Clock::now();
  llvm::LLVMContext ctx;
  llvm::Module mod("lode_agreement", ctx);
  generate(p, roots, mod);
  phases.generate = msSince(t);
  std::string verify;
  llvm::raw_string_ostream vs(verify);
  if (llvm::verifyModule(mod, &vs)) return llvm::make_error<llvm::StringError>("invalid generated IR: " + vs.str(), llvm::inconvertibleErrorCode());
  auto tm = jtmb.createTargetMachine();
  if (!tm) return tm.takeError();
  mod.setDataLayout((*tm)->createDataLayout());
  mod.setTargetTriple((*tm)->getTargetTriple().str());
  optimize(mod, level);
  phases.optimise = msSince(t);
  auto obj = llvm::orc::SimpleCompiler(**tm)(mod);
  if (!obj) return obj.takeError();
  phases.emit = msSince(t);
  return std::string((*obj)->getBuffer());
}

}  // namespace

struct CompiledProgram::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

CompiledProgram::~CompiledProgram() = default;

std::unique_ptr<CompiledProgram> CompiledProgram::compile(const ir::Program& p, const Callbacks& cb, std::string* error,
                                                          const CompileOptions& options) {
  initLlvm();
  auto fail = [&](llvm::Error e) -> std::unique_ptr<CompiledProgram> {
    if (error) *error = llvm::toString(std::move(e));
    return nullptr;
  };
  std::vector<uint32_t> roots = compiledRoots(p);
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return fail(jtmb.takeError());
  jtmb->setCodeGenOptLevel(options.level == OptLevel::O2 ? llvm::CodeGenOptLevel::Default : llvm::CodeGenOptLevel::None);

  std::unique_ptr<CompiledProgram> out(new CompiledProgram());
  out->key_ = programHash(p, roots, options.level, jtmb->getTargetTriple().str() + " " + jtmb->getCPU());
  std::optional<ObjectCache> cache;
  std::optional<std::string> object;
  if (!options.cacheDir.empty()) {
    cache.emplace(options.cacheDir);
    object = cache->load(out->key_);
    out->fromCache_ = object.has_value();
  }
  if (!object) {
    auto emitted = emitObject(p, roots, options.level, *jtmb, out->phases_);
    if (!emitted) return fail(emitted.takeError());
    object = std::move(*emitted);
    if (cache && !cache->store(out->key_, *object, error)) return nullptr;
  }

  auto linkStart = Clock::now();
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
  if (!jit) return fail(jit.takeError());
  llvm::orc::SymbolMap syms;
  auto add = [&](const char* name, void* addr) {
    syms[(*jit)->mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(addr), llvm::JITSymbolFlags::Exported};
  };
  add("lode_rt_mul", reinterpret_cast<void*>(&lode_rt_mul));
  add("lode_rt_div", reinterpret_cast<void*>(&lode_rt_div));
  add("lode_rt_neg", reinterpret_cast<void*>(&lode_rt_neg));
  add("lode_rt_abs", reinterpret_cast<void*>(&lode_rt_abs));
  add("lode_rt_scale", reinterpret_cast<void*>(&lode_rt_scale));
  add("lode_rt_round", reinterpret_cast<void*>(&lode_rt_round));
  add("lode_jit_callback", reinterpret_cast<void*>(cb.node));
  add("lode_x_mark", reinterpret_cast<void*>(cb.mark));
  add("lode_x_failed", reinterpret_cast<void*>(cb.failed));
  add("lode_x_line", reinterpret_cast<void*>(cb.line));
  add("lode_x_outcome", reinterpret_cast<void*>(cb.outcome));
  add("lode_x_let", reinterpret_cast<void*>(cb.let));
  add("lode_x_measure", reinterpret_cast<void*>(cb.measure));
  if (auto e = (*jit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(syms)))) return fail(std::move(e));
  if (auto e = (*jit)->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(*object, "lode_agreement.o"))) return fail(std::move(e));

  out->fns_.assign(p.nodes.size(), nullptr);
  // One lookup for all functions: the object is linked once, not once per symbol.
  llvm::orc::SymbolLookupSet wanted;
  std::vector<std::pair<uint32_t, llvm::orc::SymbolStringPtr>> names;
  for (uint32_t r : roots) {
    names.push_back({r, (*jit)->mangleAndIntern(functionName(r))});
    wanted.add(names.back().second);
  }
  auto measuresName = (*jit)->mangleAndIntern(kMeasuresFunction);
  wanted.add(measuresName);
  auto& es = (*jit)->getExecutionSession();
  auto found = es.lookup(llvm::orc::makeJITDylibSearchOrder(&(*jit)->getMainJITDylib()), std::move(wanted));
  if (!found) return fail(found.takeError());
  for (const auto& [r, sym] : names) out->fns_[r] = (*found)[sym].getAddress().toPtr<ExprFn>();
  out->measures_ = (*found)[measuresName].getAddress().toPtr<MeasuresFn>();
  for (const ir::Measure& m : p.measures) out->maxSlots_ = std::max(out->maxSlots_, m.slots);
  out->count_ = roots.size();
  out->phases_.link = msSince(linkStart);
  out->impl_ = std::make_unique<Impl>();
  out->impl_->jit = std::move(*jit);
  return out;
}

}  // namespace lode::jit
