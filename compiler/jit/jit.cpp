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
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>

#include <cstddef>
#include <cstdlib>
#include <array>
#include <chrono>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "compiler/jit/codegen.h"
#include "compiler/jit/object_cache.h"
#include "runtime/decimal.h"

namespace lode::jit {

namespace {

// Runtime arithmetic shared with the interpreter: the same functions (runtime/decimal.h), so the same
// rounding and the same overflow answers. Add, subtract and compare are generated inline. Each returns
// 0, or the error packed with the clause position the generated code passes. Called, not inlined:
// linking them into each module as bitcode was measured (docs/design-notes.md) and did not pay.
uint64_t packed(rt::ErrCode c, uint32_t pos) { return c == rt::ErrCode::Ok ? 0 : packError(c, pos); }
extern "C" uint64_t lode_rt_mul(int64_t a, int64_t b, uint32_t pos, int64_t* out) { return packed(rt::decMul(a, b, out), pos); }
extern "C" uint64_t lode_rt_div(int64_t a, int64_t b, uint32_t pos, int64_t* out) { return packed(rt::decDiv(a, b, out), pos); }
extern "C" uint64_t lode_rt_neg(int64_t a, uint32_t pos, int64_t* out) { return packed(rt::decNeg(a, out), pos); }
extern "C" uint64_t lode_rt_abs(int64_t a, uint32_t pos, int64_t* out) { return packed(rt::decAbs(a, out), pos); }
extern "C" uint64_t lode_rt_scale(int64_t a, int64_t num, int64_t den, uint32_t pos, int64_t* out) {
  return packed(rt::decMulRatio(a, num, den, out), pos);
}
extern "C" uint64_t lode_rt_round(int64_t a, int64_t q, int64_t mode, uint32_t pos, int64_t* out) {
  return packed(rt::decRound(a, q, rt::RoundingMode(mode), out), pos);
}

// Developer knobs (docs/performance.md): LODE_LLVM_OPTIONS passes options to LLVM, e.g.
// "-time-passes"; LODE_JIT_DUMP_IR=FILE writes each generated module (before optimisation).
void initLlvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    if (std::getenv("LODE_LLVM_OPTIONS")) {
      const char* argv[] = {"lode"};
      llvm::cl::ParseCommandLineOptions(1, argv, "lode", nullptr, "LODE_LLVM_OPTIONS");
    }
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
  // The passes that matter for straight-line decimal glue: registers for the stack slots, common
  // subexpressions, and folding the error branches. InstCombine is left out: it took three quarters
  // of this level's optimisation time for no difference we could measure in the code's speed.
  llvm::ModulePassManager mpm;
  llvm::FunctionPassManager fpm;
  fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
  fpm.addPass(llvm::EarlyCSEPass());
  fpm.addPass(llvm::SimplifyCFGPass());
  mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
  mpm.run(m, mam);
}

// Bumped whenever codegen.cpp changes what it generates for the same program.
constexpr int kCodegenVersion = 19;

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
                   sizeof(FrameView), offsetof(FrameView, date), offsetof(FrameView, portion), offsetof(FrameView, originRule), offsetof(FrameView, scopeState)})
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

// Compile-phase timing for the benchmarks (CompiledProgram::Phases): milliseconds of wall time, the
// only floating point in the compiler; no amount, rate or quantity goes near it.
using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point& t) {
  auto now = Clock::now();
  double ms = std::chrono::duration<double, std::milli>(now - t).count();
  t = now;
  return ms;
}

// Generates, optimises and emits the object file of one partition.
llvm::Expected<std::string> emitObject(const ir::Program& p, const std::vector<uint32_t>& roots, uint32_t part, uint32_t parts,
                                       OptLevel level, llvm::orc::JITTargetMachineBuilder jtmb, CompiledProgram::Phases& phases) {
  auto t = Clock::now();
  llvm::LLVMContext ctx;
  llvm::Module mod("lode_agreement_" + std::to_string(part), ctx);
  generate(p, roots, part, parts, mod);
  phases.generate = msSince(t);
  if (const char* path = std::getenv("LODE_JIT_DUMP_IR")) {
    std::error_code ec;
    llvm::raw_fd_ostream os(std::string(path) + (parts > 1 ? "." + std::to_string(part) : ""), ec);
    if (!ec) mod.print(os, nullptr);
  }
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

// Every partition's object file, compiled on up to hardware_concurrency threads (each with its own
// LLVM context and target machine: LLVM is thread-safe that way). Phases are summed over partitions.
llvm::Expected<std::vector<std::string>> emitObjects(const ir::Program& p, const std::vector<uint32_t>& roots, OptLevel level,
                                                     const llvm::orc::JITTargetMachineBuilder& jtmb, CompiledProgram::Phases& phases) {
  uint32_t parts = partitionCount(p);
  std::vector<std::string> objects(parts);
  std::vector<CompiledProgram::Phases> partPhases(parts);
  std::vector<std::string> errors(parts);
  std::atomic<uint32_t> next{0};
  auto work = [&] {
    for (uint32_t part = next++; part < parts; part = next++) {
      auto obj = emitObject(p, roots, part, parts, level, jtmb, partPhases[part]);
      if (obj) objects[part] = std::move(*obj);
      else errors[part] = llvm::toString(obj.takeError());
    }
  };
  uint32_t threads = std::min<uint32_t>(parts, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (uint32_t i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (uint32_t part = 0; part < parts; ++part) {
    if (!errors[part].empty()) return llvm::make_error<llvm::StringError>(errors[part], llvm::inconvertibleErrorCode());
    phases.generate += partPhases[part].generate;
    phases.optimise += partPhases[part].optimise;
    phases.emit += partPhases[part].emit;
  }
  return objects;
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
  // One cache entry per partition: "<key>" alone, or "<key>.<part>of<parts>".
  uint32_t parts = partitionCount(p);
  auto entryKey = [&](uint32_t part) { return parts == 1 ? out->key_ : fmt::format("{}.{}of{}", out->key_, part, parts); };
  std::optional<ObjectCache> cache;
  std::vector<std::string> objects;
  if (!options.cacheDir.empty()) {
    cache.emplace(options.cacheDir);
    for (uint32_t part = 0; part < parts; ++part) {
      std::optional<std::string> object = cache->load(entryKey(part));
      if (!object) break;
      objects.push_back(std::move(*object));
    }
    out->fromCache_ = objects.size() == parts;
    if (!out->fromCache_) objects.clear();
  }
  if (objects.empty()) {
    auto emitted = emitObjects(p, roots, options.level, *jtmb, out->phases_);
    if (!emitted) return fail(emitted.takeError());
    objects = std::move(*emitted);
    for (uint32_t part = 0; cache && part < parts; ++part)
      if (!cache->store(entryKey(part), objects[part], error)) return nullptr;
  }
  out->parts_ = parts;

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
  add("lode_x_failed", reinterpret_cast<void*>(cb.failed));
  add("lode_x_line", reinterpret_cast<void*>(cb.line));
  add("lode_x_outcome", reinterpret_cast<void*>(cb.outcome));
  add("lode_x_let", reinterpret_cast<void*>(cb.let));
  add("lode_x_measure", reinterpret_cast<void*>(cb.measure));
  add("lode_x_share", reinterpret_cast<void*>(cb.share));
  if (auto e = (*jit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(syms)))) return fail(std::move(e));
  for (uint32_t part = 0; part < parts; ++part) {
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(objects[part], fmt::format("lode_agreement_{}.o", part));
    if (auto e = (*jit)->addObjectFile(std::move(buffer))) return fail(std::move(e));
  }

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
