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
#include <condition_variable>
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
// rounding and the same overflow answers. Add, subtract and compare are generated inline; at O2 so are
// the 64-bit fast paths of products, scales and roundings by constants (codegen.cpp), which call these
// only beyond 64 bits. Each returns 0, or the error packed with the clause position the generated code
// passes. Linking the whole runtime into each module as bitcode was measured (docs/design-notes.md)
// and did not pay: it grew the code and the compile time far more than the hand-written fast paths.
uint64_t packed(rt::ErrCode c, uint32_t pos) { return c == rt::ErrCode::Ok ? 0 : packError(c, pos); }
extern "C" uint64_t lode_rt_mul(int64_t a, int64_t b, uint32_t pos, int64_t* out) { return packed(rt::decMul(a, b, out), pos); }
extern "C" uint64_t lode_rt_div(int64_t a, int64_t b, uint32_t pos, int64_t* out) { return packed(rt::decDiv(a, b, out), pos); }
extern "C" uint64_t lode_rt_neg(int64_t a, uint32_t pos, int64_t* out) { return packed(rt::decNeg(a, out), pos); }
extern "C" uint64_t lode_rt_abs(int64_t a, uint32_t pos, int64_t* out) { return packed(rt::decAbs(a, out), pos); }
extern "C" uint64_t lode_rt_scale(int64_t a, int64_t num, int64_t den, uint32_t pos, int64_t* out) {
  return packed(rt::decMulRatio(a, num, den, out), pos);
}
extern "C" uint64_t lode_rt_mul_scaled(int64_t a, int64_t b, int64_t m, int64_t k, uint32_t pos, int64_t* out) {
  return packed(rt::decMulScaled(a, b, m, k, out), pos);
}
extern "C" uint64_t lode_rt_div_scaled(int64_t a, int64_t b, int64_t m, int64_t k, uint32_t pos, int64_t* out) {
  return packed(rt::decDivScaled(a, b, m, k, out), pos);
}
extern "C" uint64_t lode_rt_round(int64_t a, int64_t q, int64_t mode, uint32_t pos, int64_t* out) {
  return packed(rt::decRound(a, q, rt::RoundingMode(mode), out), pos);
}
// A present text cell against a constant text (codegen textEquals): 1 when equal, else 0.
extern "C" int64_t lode_rt_text_eq(const rt::FieldValue* cell, const char* text, uint64_t size) {
  return std::string_view(cell->s) == std::string_view(text, size);
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
constexpr int kCodegenVersion = 30;

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
                   sizeof(FrameView), offsetof(FrameView, date), offsetof(FrameView, portion), offsetof(FrameView, originRule), offsetof(FrameView, scopeState),
                   offsetof(FrameView, shareEntity), offsetof(FrameView, shareGroup)})
    num(int64_t(v));
  num(int64_t(p.nodes.size()));
  for (const ir::Node& n : p.nodes) {
    num(int64_t(n.op)); num(int64_t(n.kind)); num(n.b); num(n.c); num(n.a); num(n.imm); num(n.imm2); num(n.pos);
    text(n.str);  // text constants are compared in generated code (codegen textEquals)
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
  // The arithmetic's fast paths inline at O2 for an agreement compiled as one module (up to about 60
  // measures): 15-20 % faster per shipment, but twice the O2 compile time of a large agreement, for
  // which the calls stay (docs/design-notes.md).
  generate(p, roots, part, parts, mod, level == OptLevel::O2 && parts == 1);
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

// One tier's machine code linked into its own LLJIT, and the functions looked up in it.
struct Linked {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::vector<ExprFn> fns;  // by node
  MeasuresFn measures = nullptr;
};

llvm::Expected<Linked> link(const ir::Program& p, const std::vector<uint32_t>& roots, const std::vector<std::string>& objects,
                            llvm::orc::JITTargetMachineBuilder jtmb, const Callbacks& cb) {
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create();
  if (!jit) return jit.takeError();
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
  add("lode_rt_mul_scaled", reinterpret_cast<void*>(&lode_rt_mul_scaled));
  add("lode_rt_div_scaled", reinterpret_cast<void*>(&lode_rt_div_scaled));
  add("lode_rt_text_eq", reinterpret_cast<void*>(&lode_rt_text_eq));
  add("lode_jit_callback", reinterpret_cast<void*>(cb.node));
  add("lode_x_failed", reinterpret_cast<void*>(cb.failed));
  add("lode_x_line", reinterpret_cast<void*>(cb.line));
  add("lode_x_outcome", reinterpret_cast<void*>(cb.outcome));
  add("lode_x_let", reinterpret_cast<void*>(cb.let));
  add("lode_x_measure", reinterpret_cast<void*>(cb.measure));
  add("lode_x_share", reinterpret_cast<void*>(cb.share));
  add("lode_x_series", reinterpret_cast<void*>(cb.series));
  if (auto e = (*jit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(syms)))) return e;
  for (size_t part = 0; part < objects.size(); ++part) {
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(objects[part], fmt::format("lode_agreement_{}.o", part));
    if (auto e = (*jit)->addObjectFile(std::move(buffer))) return e;
  }
  Linked out;
  out.fns.assign(p.nodes.size(), nullptr);
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
  if (!found) return found.takeError();
  for (const auto& [r, sym] : names) out.fns[r] = (*found)[sym].getAddress().toPtr<ExprFn>();
  out.measures = (*found)[measuresName].getAddress().toPtr<MeasuresFn>();
  out.jit = std::move(*jit);
  return out;
}

llvm::Expected<llvm::orc::JITTargetMachineBuilder> machineFor(OptLevel level) {
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return jtmb.takeError();
  jtmb->setCodeGenOptLevel(level == OptLevel::O2 ? llvm::CodeGenOptLevel::Default : llvm::CodeGenOptLevel::None);
  return jtmb;
}

std::string targetOf(const llvm::orc::JITTargetMachineBuilder& jtmb) { return jtmb.getTargetTriple().str() + " " + jtmb.getCPU(); }

// One cache entry per partition: "<key>" alone, or "<key>.<part>of<parts>".
std::string entryKey(const std::string& key, uint32_t part, uint32_t parts) {
  return parts == 1 ? key : fmt::format("{}.{}of{}", key, part, parts);
}

// Every partition's object from the cache, or nothing when one is missing.
std::vector<std::string> cachedObjects(const ObjectCache& cache, const std::string& key, uint32_t parts) {
  std::vector<std::string> objects;
  for (uint32_t part = 0; part < parts; ++part) {
    std::optional<std::string> object = cache.load(entryKey(key, part, parts));
    if (!object) return {};
    objects.push_back(std::move(*object));
  }
  return objects;
}

}  // namespace

struct CompiledProgram::Impl {
  Linked first;      // the code compiled (or loaded) by compile()
  Linked optimised;  // Tiered: the O2 code, once the background compile has linked it
  // The background compile of a tiered program, stopped between phases when the program is
  // destroyed early.
  std::thread background;
  std::atomic<bool> stop{false};
  mutable std::mutex m;
  mutable std::condition_variable ended;
  bool running = false;
  bool installed = true;
  std::string error;

  void finish() {
    stop = true;
    if (background.joinable()) background.join();
  }
};

CompiledProgram::~CompiledProgram() {
  if (impl_) impl_->finish();  // before the members the background compile writes go
}

bool CompiledProgram::waitOptimised() const {
  std::unique_lock<std::mutex> l(impl_->m);
  impl_->ended.wait(l, [&] { return !impl_->running; });
  return impl_->installed;
}

std::string CompiledProgram::backgroundError() const {
  std::lock_guard<std::mutex> l(impl_->m);
  return impl_->error;
}

std::unique_ptr<CompiledProgram> CompiledProgram::compile(const ir::Program& p, const Callbacks& cb, std::string* error,
                                                          const CompileOptions& options) {
  initLlvm();
  auto fail = [&](llvm::Error e) -> std::unique_ptr<CompiledProgram> {
    if (error) *error = llvm::toString(std::move(e));
    return nullptr;
  };
  std::vector<uint32_t> roots = compiledRoots(p);
  const bool tiered = options.level == OptLevel::Tiered;
  // The code the cache keeps (a tiered program's O2 code), and the code compiled now: the cached
  // code, else a tiered program's quick code, else the level asked for.
  const OptLevel stored = tiered ? OptLevel::O2 : options.level;
  auto jtmb = machineFor(stored);
  if (!jtmb) return fail(jtmb.takeError());

  std::unique_ptr<CompiledProgram> out(new CompiledProgram());
  out->impl_ = std::make_unique<Impl>();
  out->key_ = programHash(p, roots, stored, targetOf(*jtmb));
  const uint32_t parts = partitionCount(p);
  out->parts_ = parts;
  std::optional<ObjectCache> cache;
  std::vector<std::string> objects;
  if (!options.cacheDir.empty()) {
    cache.emplace(options.cacheDir);
    objects = cachedObjects(*cache, out->key_, parts);
    out->fromCache_ = !objects.empty();
  }
  const OptLevel now = tiered && !out->fromCache_ ? OptLevel::Quick : stored;
  if (now != stored) {
    jtmb = machineFor(now);
    if (!jtmb) return fail(jtmb.takeError());
  }
  if (objects.empty()) {
    auto emitted = emitObjects(p, roots, now, *jtmb, out->phases_);
    if (!emitted) return fail(emitted.takeError());
    objects = std::move(*emitted);
    for (uint32_t part = 0; cache && now == stored && part < parts; ++part)
      if (!cache->store(entryKey(out->key_, part, parts), objects[part], error)) return nullptr;
  }

  auto linkStart = Clock::now();
  auto linked = link(p, roots, objects, *jtmb, cb);
  if (!linked) return fail(linked.takeError());
  out->impl_->first = std::move(*linked);
  out->nodes_ = p.nodes.size();
  out->table_.store(out->impl_->first.fns.data(), std::memory_order_release);
  out->measures_.store(out->impl_->first.measures, std::memory_order_release);
  for (const ir::Measure& m : p.measures) out->maxSlots_ = std::max(out->maxSlots_, m.slots);
  out->count_ = roots.size();
  out->phases_.link = msSince(linkStart);
  if (tiered && !out->fromCache_) out->optimiseInBackground(p, cb, options.cacheDir);
  return out;
}

// The O2 tier: compiled from a copy of the program on a thread of its own, stored in the cache when
// there is one, then installed. Its failure is kept (backgroundError) and the quick code stays.
void CompiledProgram::optimiseInBackground(const ir::Program& p, const Callbacks& cb, const std::string& cacheDir) {
  Impl& impl = *impl_;
  impl.running = true;
  impl.installed = false;
  // Its own copy of the program: the caller's may be destroyed first.
  impl.background = std::thread([this, &impl, cb, cacheDir, copy = std::make_unique<ir::Program>(p)] {
    std::string error;
    auto run = [&]() -> llvm::Error {
      const ir::Program& prog = *copy;
      std::vector<uint32_t> roots = compiledRoots(prog);
      auto jtmb = machineFor(OptLevel::O2);
      if (!jtmb) return jtmb.takeError();
      Phases phases;
      auto objects = emitObjects(prog, roots, OptLevel::O2, *jtmb, phases);
      if (!objects) return objects.takeError();
      if (impl.stop) return llvm::Error::success();
      // A cache that cannot be written is reported (backgroundError) but keeps nothing from pricing
      // with the optimised code: only a restart pays for it, by compiling again.
      if (!cacheDir.empty()) {
        ObjectCache cache(cacheDir);
        for (uint32_t part = 0; part < parts_; ++part)
          if (!cache.store(entryKey(key_, part, parts_), (*objects)[part], &error)) break;
      }
      auto linked = link(prog, roots, *objects, *jtmb, cb);
      if (!linked) return linked.takeError();
      impl.optimised = std::move(*linked);
      table_.store(impl.optimised.fns.data(), std::memory_order_release);
      measures_.store(impl.optimised.measures, std::memory_order_release);
      std::lock_guard<std::mutex> l(impl.m);
      impl.installed = true;
      return llvm::Error::success();
    };
    if (llvm::Error e = run()) error = llvm::toString(std::move(e));  // replaces a cache's error
    std::lock_guard<std::mutex> l(impl.m);
    impl.error = std::move(error);
    impl.running = false;
    impl.ended.notify_all();
  });
}

}  // namespace lode::jit
