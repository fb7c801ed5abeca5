// The module of one step: one function per pass (a kernel's main pass, or
// the combine of its partial sums) taking each distinct buffer as a noalias
// pointer and where its scratch starts, and the entry function that every
// thread runs: it computes the buffers' addresses, calls the passes in plan
// order and meets the other threads at the plan's barriers. A pass whose
// function would be identical to an earlier one's (the same kernel on other
// buffers) calls that one, so repeated blocks are optimised and compiled once.
#include "compiler/codegen/emit_step.hpp"

#include <llvm/IR/Function.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

#include "compiler/codegen/kernel_frame.hpp"
#include "compiler/codegen/op_traits.hpp"

namespace tl::codegen {

using ir::NodeId;
using ir::OpKind;

llvm::Value* KernelFrame::ptr(NodeId id) const {
  const Storage& s = plan.where(id);
  if (s.kind != StorageKind::Leaf && s.kind != StorageKind::Arena) return nullptr;
  return buffers.at(key_of(s));
}

llvm::Value* KernelFrame::leading_extent(NodeId id) const {
  if (batched(id)) return arg(StepSlot::Batch, e.i64);
  const ir::Shape& s = graph.node(id).shape;
  return e.c64(s.empty() ? 1 : s[0]);
}

RowRange KernelFrame::split_rows(NodeId id) {
  const ir::Node& n = graph.node(id);
  const OpSplit s = op_split(graph, n);
  // The split axis is a batched node's leading axis only when op_split's
  // extent is that node's leading extent (per-last-axis rows of a vector are one).
  const NodeId axis = s.split == Split::Rows ? id : n.inputs[0];
  const ir::Shape& shape = graph.node(axis).shape;
  if (!shape.empty() && s.extent == shape[0] && batched(axis)) return thread_rows(e, leading_extent(axis), tid, threads);
  return rows(s.extent);
}

llvm::Value* KernelFrame::argmax(NodeId pool) const {
  return buffers.at(key_of(plan.argmax[static_cast<std::size_t>(pool)]));
}

llvm::Value* KernelFrame::new_slot(NodeId id, std::size_t s) const {
  const auto& slots = plan.new_slots[static_cast<std::size_t>(id)];
  if (s >= slots.size() || slots[s].kind == StorageKind::None) return nullptr;
  return buffers.at(key_of(slots[s]));
}

llvm::Value* KernelFrame::arg(StepSlot slot, llvm::Type* type) const {
  return e.b.CreateLoad(type, e.at(e.i64, args, e.c64(static_cast<int>(slot))));
}

llvm::Value* KernelFrame::scratch(NodeId id, llvm::Value* thread) const {
  const std::int64_t offset = plan.scratch_of[static_cast<std::size_t>(id)];
  if (offset < 0) throw std::logic_error("codegen: %" + std::to_string(id) + " has no scratch");
  llvm::Value* at = e.b.CreateAdd(e.mul(thread, arg(StepSlot::ScratchStride, e.i64)), e.add(scratch_base, offset - scratch_first));
  return e.b.CreateInBoundsGEP(e.b.getInt8Ty(), arg(StepSlot::Scratch, e.ptr), at);
}

namespace {

/// The main pass of an Op kernel's root over `rows`.
void emit_root(KernelFrame& f, RowRange rows) {
  const NodeId id = f.kernel.nodes.front();
  const ir::Node& n = f.node(id);
  switch (category(n.op)) {
    case ir::OpCategory::Generator:
    case ir::OpCategory::Unary:
    case ir::OpCategory::Binary:
    case ir::OpCategory::ActivationGrad:
    case ir::OpCategory::ChannelBinary:
    case ir::OpCategory::ChannelBroadcast: return emit_elementwise(f, rows);
    case ir::OpCategory::ChannelBlock: return emit_channel_block(f, rows);
    case ir::OpCategory::MatMul: return n.attrs.trans_a ? emit_matmul_partial(f, id, rows) : emit_matmul(f, rows);
    case ir::OpCategory::Rows:
      switch (ir::sub_op<ir::RowsOp>(n.op)) {
        case ir::RowsOp::Softmax: return emit_softmax_rows(f, id, rows);
        case ir::RowsOp::SoftmaxGrad: return emit_softmax_grad_rows(f, id, rows);
      }
      break;
    case ir::OpCategory::Conv:
      switch (ir::sub_op<ir::ConvOp>(n.op)) {
        case ir::ConvOp::Conv2D: return emit_conv(f, rows);
        case ir::ConvOp::DepthwiseConv2D: return emit_depthwise_conv(f, rows);
      }
      break;
    case ir::OpCategory::ConvGradInput:
      switch (ir::sub_op<ir::ConvGradInputOp>(n.op)) {
        case ir::ConvGradInputOp::Conv2DGradInput: return emit_conv_grad_input(f, rows);
        case ir::ConvGradInputOp::DepthwiseConv2DGradInput: return emit_depthwise_conv_grad_input(f, rows);
      }
      break;
    case ir::OpCategory::ConvGradFilter:
      switch (ir::sub_op<ir::ConvGradFilterOp>(n.op)) {
        case ir::ConvGradFilterOp::Conv2DGradFilter: return emit_conv_grad_filter_partial(f, id, rows);
        case ir::ConvGradFilterOp::DepthwiseConv2DGradFilter: return emit_depthwise_conv_grad_filter_partial(f, id, rows);
      }
      break;
    case ir::OpCategory::Pool:
      // A non-overlapping max pool runs the conv-pool kernel's pooling alone.
      if (n.op == OpKind::MaxPool2D && n.attrs.padding == ir::Padding::Valid && n.attrs.stride_h == n.attrs.window_h &&
          n.attrs.stride_w == n.attrs.window_w)
        return emit_conv_pool(f, rows);
      return emit_pool(f, rows);
    case ir::OpCategory::PoolGrad:
      if (f.plan.argmax_of[static_cast<std::size_t>(id)] >= 0) return emit_max_pool_grad_argmax(f, rows);
      return emit_pool(f, rows);
    case ir::OpCategory::GlobalPool:
    case ir::OpCategory::GlobalPoolGrad: return emit_pool(f, rows);
    case ir::OpCategory::ChannelReduce: return emit_channel_partial(f, id, rows);
    case ir::OpCategory::Collective: return emit_collective(f);
    case ir::OpCategory::Loss:
    case ir::OpCategory::LossGrad: return emit_loss_head(f, rows);
    case ir::OpCategory::Update: return emit_update(f, id, rows);
    case ir::OpCategory::Bound:
    case ir::OpCategory::Reshape: break;
  }
  throw std::logic_error("emit_op: " + std::string(ir::spelling(n.op)) + " has no kernel");
}

/// Rows of a chunk: about 256 KiB of the root's output, so that the sinks
/// read it back from cache.
std::int64_t chunk_rows(const ir::Shape& shape) {
  const std::int64_t row_bytes = ir::element_count(shape) / shape[0] * 4;
  return std::max<std::int64_t>(1, (std::int64_t{256} << 10) / row_bytes);
}

/// The main pass of an Op kernel: its root's rows, or its partial sums.
/// With sinks summed in chunks (SinkMode::Chunks), the root runs a chunk of
/// its rows at a time and each sink adds that chunk to its partial sums.
void emit_op(KernelFrame& f) {
  const NodeId id = f.kernel.nodes.front();
  const RowRange rows = f.split_rows(id);
  std::vector<NodeId> sinks;
  if (sink_mode(f.plan, f.graph, f.kernel) == SinkMode::Chunks)
    for (NodeId m : f.kernel.nodes)
      if (is_sink(f.plan, f.graph, m)) sinks.push_back(m);
  if (sinks.empty()) return emit_root(f, rows);
  Emitter& e = f.e;
  for (NodeId s : sinks) {
    const std::int64_t C = f.shape(f.node(s).inputs[0]).back();
    e.zero(f.scratch(s, f.tid), e.c64(0), e.c64(C), e.f64);
  }
  const std::int64_t chunk = chunk_rows(f.shape(id));
  llvm::Value* count = e.b.CreateSDiv(e.add(e.b.CreateSub(rows.last, rows.first), chunk - 1), e.c64(chunk));
  e.loop(e.c64(0), count, [&](llvm::Value* q) {
    llvm::Value* first = e.add(rows.first, e.mul(q, chunk));
    const RowRange part{first, e.smin(e.add(first, chunk), rows.last)};
    emit_root(f, part);
    for (NodeId s : sinks) emit_channel_sums(f, s, part, true);
  });
}

void emit_conv_pool_kernel(KernelFrame& f) {
  const RowRange rows = f.split_rows(f.kernel.nodes.front());
  if (f.kernel.kind == KernelKind::ConvPool) return emit_conv_pool(f, rows);
  emit_pool_grads(f, rows);
}

void emit_pass(KernelFrame& f, const Pass& pass) {
  if (pass.combine) {
    for (NodeId id : f.kernel.nodes) {
      const OpSplit s = op_split(f.graph, f.node(id));
      if (s.split == Split::Reduce) emit_combine(f, id, f.rows(s.out_extent));
    }
    return;
  }
  switch (f.kernel.kind) {
    case KernelKind::Op: return emit_op(f);
    case KernelKind::ConvPool:
    case KernelKind::PoolGrads: return emit_conv_pool_kernel(f);
    case KernelKind::LossHead: return emit_loss_head(f, f.split_rows(f.kernel.nodes.back()));
    case KernelKind::Updates:
      for (NodeId id : f.kernel.nodes) emit_update(f, id, f.split_rows(id));
      return;
  }
}

/// void mark(args, tid, pass, since): when profiling, thread 0 adds the
/// cycles since *since to profile[pass] and restarts *since.
llvm::Function* profile_function(Emitter& e) {
  auto* type = llvm::FunctionType::get(e.b.getVoidTy(), {e.ptr, e.i64, e.i64, e.ptr}, false);
  auto* fn = llvm::Function::Create(type, llvm::Function::InternalLinkage, "tl_profile_mark", e.mod);
  fn->addFnAttr(llvm::Attribute::NoInline);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::IRBuilderBase::InsertPointGuard guard(e.b);
  e.b.SetInsertPoint(llvm::BasicBlock::Create(e.ctx, "entry", fn));
  llvm::Value* profile = e.b.CreateLoad(e.ptr, e.at(e.i64, fn->getArg(0), e.c64(static_cast<int>(StepSlot::Profile))));
  e.when(e.b.CreateAnd(e.b.CreateIsNotNull(profile), e.b.CreateICmpEQ(fn->getArg(1), e.c64(0))), [&] {
    llvm::Value* now = e.b.CreateIntrinsic(llvm::Intrinsic::readcyclecounter, {}, {});
    llvm::Value* at = e.at(e.i64, profile, fn->getArg(2));
    e.b.CreateStore(e.b.CreateAdd(e.b.CreateLoad(e.i64, at), e.b.CreateSub(now, e.b.CreateLoad(e.i64, fn->getArg(3)))), at);
    e.b.CreateStore(now, fn->getArg(3));
  });
  e.b.CreateRetVoid();
  return fn;
}

struct ModuleBuilder {
  const ir::Graph& graph;
  const StepPlan& plan;
  std::string prefix;  // the entry's name: pass names are unique in the JIT
  int width;
  std::vector<StepModule> parts;
  std::vector<std::unique_ptr<Emitter>> emitters;  // one per part

  /// The distinct buffers a pass touches, in first-use order.
  std::vector<Storage> buffers_of(const Pass& pass) const {
    const Kernel& kernel = plan.kernels[static_cast<std::size_t>(pass.kernel)];
    std::vector<Storage> list;
    auto add = [&](const Storage& s) {
      if (s.kind != StorageKind::Leaf && s.kind != StorageKind::Arena) return;
      for (const Storage& t : list)
        if (key_of(t) == key_of(s)) return;
      list.push_back(s);
    };
    for (NodeId id : kernel.nodes) {
      const bool reduce = op_split(graph, graph.node(id)).split == Split::Reduce;
      if (pass.combine) {
        if (reduce) add(plan.where(id));
        continue;
      }
      const ir::Node& n = graph.node(id);
      for (std::size_t i = 0; i < n.inputs.size(); ++i)
        if (reads_input(plan, graph, id, i)) add(plan.where(n.inputs[i]));
      if (!reduce) add(plan.where(id));
      for (const Storage& s : plan.new_slots[static_cast<std::size_t>(id)]) add(s);
      add(plan.argmax[static_cast<std::size_t>(id)]);
      if (const NodeId pool = plan.argmax_of[static_cast<std::size_t>(id)]; pool >= 0) add(plan.argmax[static_cast<std::size_t>(pool)]);
    }
    return list;
  }

  /// A pass doing under 5% of the step's work is optimised for size: less
  /// unrolling and code, hence less compile time where speed hardly matters.
  bool cold(const Pass& pass) const {
    if (pass.combine) return true;
    std::int64_t work = 0;
    for (NodeId id : plan.kernels[static_cast<std::size_t>(pass.kernel)].nodes) work += op_work(graph, graph.node(id));
    return work * 20 < plan.work;
  }

  /// void name(ptr args, i64 tid, i64 threads, i64 scratch, ptr noalias
  /// buffer...) in `e`'s module; `scratch` is where the kernel's scratch
  /// starts in a thread's.
  static constexpr unsigned kFirstBuffer = 4;
  llvm::Function* pass_function(Emitter& e, const std::string& name, std::size_t buffers) {
    std::vector<llvm::Type*> params = {e.ptr, e.i64, e.i64, e.i64};
    params.insert(params.end(), buffers, e.ptr);
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(e.b.getVoidTy(), params, false),
                                      llvm::Function::ExternalLinkage, prefix + "." + name, e.mod);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    for (std::size_t i = 0; i < buffers; ++i) fn->addParamAttr(static_cast<unsigned>(kFirstBuffer + i), llvm::Attribute::NoAlias);
    return fn;
  }

  /// The first scratch offset of the kernel's members (0 when none has any).
  std::int64_t scratch_first(const Kernel& kernel) const {
    std::int64_t first = -1;
    for (NodeId id : kernel.nodes)
      if (const std::int64_t at = plan.scratch_of[static_cast<std::size_t>(id)]; at >= 0 && (first < 0 || at < first)) first = at;
    return std::max<std::int64_t>(first, 0);
  }

  /// A pass function's text with what makes it differ from an identical
  /// one's removed: its name, its attribute groups' numbers (their contents
  /// are spelled out instead) and the numbers of its `!llvm.loop` metadata
  /// (always Emitter::loop's hint for cold loops). Empty when it cannot be
  /// compared this way: a call site's attribute group, or other metadata.
  static std::string comparable_text(const llvm::Function& fn) {
    std::string body;
    llvm::raw_string_ostream os(body);
    for (const llvm::BasicBlock& block : fn) block.print(os);
    os.flush();
    std::string text;
    llvm::raw_string_ostream head(text);
    fn.getFunctionType()->print(head);
    const llvm::AttributeList attrs = fn.getAttributes();
    head << " | " << attrs.getFnAttrs().getAsString() << " | " << attrs.getRetAttrs().getAsString();
    for (unsigned i = 0; i < fn.arg_size(); ++i) head << " | " << attrs.getParamAttrs(i).getAsString();
    head << "\n";
    head.flush();
    for (std::size_t i = 0; i < body.size(); ++i) {
      const bool number = i + 1 < body.size() && std::isdigit(static_cast<unsigned char>(body[i + 1]));
      if (body[i] == '#' && number) return {};
      text += body[i];
      if (body[i] == '!' && number) {
        if (!text.ends_with("!llvm.loop !")) return {};
        while (i + 1 < body.size() && std::isdigit(static_cast<unsigned char>(body[i + 1]))) ++i;
      }
    }
    return text;
  }

  std::string pass_name(std::size_t index, const Pass& pass) const {
    const Kernel& kernel = plan.kernels[static_cast<std::size_t>(pass.kernel)];
    std::string name = "p" + std::to_string(index) + "_k" + std::to_string(pass.kernel);
    for (NodeId id : kernel.nodes) name += "_" + std::string(ir::spelling(graph.node(id).op));
    return name.substr(0, 80) + (pass.combine ? "_combine" : "");
  }

  static std::size_t instructions(const llvm::Module& m) {
    std::size_t n = 0;
    for (const llvm::Function& fn : m) n += fn.getInstructionCount();
    return n;
  }

  /// Each pass goes to the part with the fewest instructions so far; the
  /// entry, in part 0, declares the passes the other parts define.
  void build(int count) {
    for (int i = 0; i < count; ++i) {
      auto context = std::make_unique<llvm::LLVMContext>();
      auto module = std::make_unique<llvm::Module>(prefix + "." + std::to_string(i), *context);
      emitters.push_back(std::make_unique<Emitter>(*module, width));
      parts.push_back({std::move(context), std::move(module)});
    }
    std::vector<Call> calls;
    std::map<std::string, std::string> compiled;  // comparable text -> the function that has it
    for (std::size_t p = 0; p < plan.passes.size(); ++p) {
      const Pass& pass = plan.passes[p];
      const Kernel& kernel = plan.kernels[static_cast<std::size_t>(pass.kernel)];
      std::size_t target = 0;
      for (std::size_t i = 1; i < parts.size(); ++i)
        if (instructions(*parts[i].module) < instructions(*parts[target].module)) target = i;
      Emitter& e = *emitters[target];
      std::vector<Storage> buffers = buffers_of(pass);
      llvm::Function* fn = pass_function(e, pass_name(p, pass), buffers.size());
      fn->addFnAttr(llvm::Attribute::NoInline);
      const std::string bits = std::to_string(e.width * 32);
      fn->addFnAttr("prefer-vector-width", bits);
      fn->addFnAttr("min-legal-vector-width", bits);
      if (cold(pass)) fn->addFnAttr(llvm::Attribute::OptimizeForSize);
      e.b.SetInsertPoint(llvm::BasicBlock::Create(e.ctx, "entry", fn));
      KernelFrame f{e, graph, plan, kernel, fn->getArg(0), fn->getArg(1), fn->getArg(2), {}, fn->getArg(3), scratch_first(kernel)};
      e.clear_pixel_marks();
      for (std::size_t i = 0; i < buffers.size(); ++i) {
        llvm::Value* buffer = fn->getArg(static_cast<unsigned>(kFirstBuffer + i));
        f.buffers[key_of(buffers[i])] = buffer;
        if (buffers[i].kind == StorageKind::Leaf && buffers[i].leaf == plan.byte_leaf)
          e.read_as_pixels(buffer, {e.load(e.f32, f.arg(StepSlot::Scalars, e.ptr), plan.image_scale),
                                    e.load(e.f32, f.arg(StepSlot::Scalars, e.ptr), plan.image_offset)});
      }
      e.cold = true;
      emit_pass(f, pass);
      e.b.CreateRetVoid();
      // A pass identical to an earlier one (the same kernel on other
      // buffers: a ResNet's repeated blocks) calls that one's code instead.
      std::string name = fn->getName().str();
      if (std::string text = comparable_text(*fn); !text.empty()) {
        const auto [found, fresh] = compiled.emplace(std::move(text), name);
        if (!fresh) {
          fn->eraseFromParent();
          name = found->second;
        }
      }
      calls.push_back({name, std::move(buffers), f.scratch_first});
    }
    build_entry(*emitters[0], calls);
  }

  struct Call {
    std::string function;
    std::vector<Storage> buffers;
    std::int64_t scratch;  // where the kernel's scratch starts in a thread's
  };

  void build_entry(Emitter& e, const std::vector<Call>& calls) {
    auto* entry_type = llvm::FunctionType::get(e.b.getVoidTy(), {e.ptr, e.i32}, false);
    llvm::Function* entry = llvm::Function::Create(entry_type, llvm::Function::ExternalLinkage, prefix, e.mod);
    entry->addFnAttr(llvm::Attribute::NoUnwind);
    e.b.SetInsertPoint(llvm::BasicBlock::Create(e.ctx, "entry", entry));
    llvm::Value* args = entry->getArg(0);
    auto slot = [&](StepSlot s, llvm::Type* t) { return e.b.CreateLoad(t, e.at(e.i64, args, e.c64(static_cast<int>(s)))); };
    llvm::Value* tid = e.b.CreateSExt(entry->getArg(1), e.i64);
    llvm::Value* threads = slot(StepSlot::Threads, e.i64);
    llvm::Value* tensors = slot(StepSlot::Tensors, e.ptr);
    llvm::Value* arena = slot(StepSlot::Arena, e.ptr);
    llvm::Value* barrier = slot(StepSlot::Barrier, e.ptr);
    llvm::Value* barrier_state = slot(StepSlot::BarrierState, e.ptr);
    auto* barrier_type = llvm::FunctionType::get(e.b.getVoidTy(), {e.ptr}, false);
    // Profiling (StepArgs::profile set): thread 0 adds each pass's cycles,
    // barrier waits included in the pass after them.
    llvm::Function* mark = profile_function(e);
    llvm::Value* since = e.local(e.i64, 1);
    e.b.CreateStore(e.b.CreateIntrinsic(llvm::Intrinsic::readcyclecounter, {}, {}), since);
    for (std::size_t c = 0; c < calls.size(); ++c) {
      if (plan.passes[c].barrier_before) e.b.CreateCall(barrier_type, barrier, {barrier_state});
      llvm::Function* callee = e.mod.getFunction(calls[c].function);
      if (!callee) {  // defined by another part: declared here
        callee = pass_function(e, "", calls[c].buffers.size());
        callee->setName(calls[c].function);
      }
      std::vector<llvm::Value*> call_args = {args, tid, threads, e.c64(calls[c].scratch)};
      for (const Storage& s : calls[c].buffers)
        call_args.push_back(s.kind == StorageKind::Leaf ? e.load(e.ptr, tensors, s.leaf)
                                                        : e.b.CreateInBoundsGEP(e.b.getInt8Ty(), arena, e.c64(s.offset)));
      e.b.CreateCall(callee, call_args);
      e.b.CreateCall(mark, {args, tid, e.c64(static_cast<std::int64_t>(c)), since});
    }
    e.b.CreateRetVoid();
  }
};

}  // namespace

std::vector<StepModule> build_step_modules(const ir::Graph& graph, const StepPlan& plan, const std::string& entry_name,
                                           int width, int parts) {
  ModuleBuilder builder{graph, plan, entry_name, width, {}, {}};
  builder.build(std::max(1, parts));
  for (const StepModule& part : builder.parts) {
    std::string problems;
    llvm::raw_string_ostream os(problems);
    if (llvm::verifyModule(*part.module, &os)) throw std::logic_error("codegen produced invalid IR: " + os.str());
  }
  return std::move(builder.parts);
}

}  // namespace tl::codegen
