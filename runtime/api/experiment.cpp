// tl::Experiment: compile a script (parse + check) and run it.
#include <algorithm>

#include "dsl/diagnostics.hpp"
#include "runtime/api/log_stream.hpp"
#include "runtime/api/model_impl.hpp"
#include "runtime/report/summary.hpp"
#include "runtime/run/front_door.hpp"
#include "runtime/run/run_experiment.hpp"

namespace tl {

struct Experiment::Impl {
  run::Script script;
  check::Experiment& exp = script.experiment;
  std::vector<train::ModelState> states;  // after run()

  int index_of(const std::string& name) const {
    for (std::size_t i = 0; i < exp.models.size(); ++i)
      if (exp.models[i].name == name) return static_cast<int>(i);
    throw Error("tl: the experiment has no model named '" + name + "'");
  }
};

Experiment::Experiment(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Experiment::Experiment(Experiment&&) noexcept = default;
Experiment& Experiment::operator=(Experiment&&) noexcept = default;
Experiment::~Experiment() = default;

Experiment Experiment::compile(const std::string& path, const CompileOptions& options) {
  try {
    const SourceFile source = SourceFile::load(path);
    return compile_source(source.name(), source.text(), options);
  } catch (const DiagnosticError& e) {
    throw Error(e.render());
  }
}

Experiment Experiment::compile_source(const std::string& name, const std::string& text, const CompileOptions& options) {
  try {
    run::FrontOptions front;
    front.seed = options.seed;
    front.data_dirs = options.data_dirs;
    return Experiment(std::unique_ptr<Impl>(new Impl{run::open_script(SourceFile(name, text), front)}));
  } catch (const DiagnosticError& e) {
    throw Error(e.render());
  }
}

std::vector<std::string> Experiment::model_names() const {
  std::vector<std::string> names;
  for (const auto& m : impl_->exp.models) names.push_back(m.name);
  return names;
}

std::string Experiment::summary(const std::string& model) const {
  return report::summary(impl_->exp.models[static_cast<std::size_t>(impl_->index_of(model))]);
}

void Experiment::run(const RunOptions& options) {
  run::RunOptions settings;
  settings.out_dir = options.out_dir;
  settings.backend = options.backend;
  settings.threads = run::threads_for(options.backend, options.threads);
  settings.out = api::open_log_stream(options.log);
  try {
    impl_->states = run::run_experiment(impl_->exp, *impl_->script.data, impl_->script.source, settings);
    std::fclose(settings.out);
  } catch (const DiagnosticError& e) {
    std::fclose(settings.out);
    throw Error(e.render());
  } catch (const std::exception& e) {
    std::fclose(settings.out);
    throw Error(std::string("tl: ") + e.what());
  }
}

Model Experiment::model(const std::string& name) const {
  const int index = impl_->index_of(name);
  auto impl = std::make_unique<Model::Impl>();
  impl->spec = impl_->exp.models[static_cast<std::size_t>(index)];
  if (impl_->states.empty())
    throw Error("tl: run the experiment before taking its model '" + name + "'");
  impl->vars = impl_->states[static_cast<std::size_t>(index)].vars;
  // The pixel map and class names of the model's last train step, as its
  // model file records them.
  const auto& steps = impl_->exp.steps;
  const auto last = std::find_if(steps.rbegin(), steps.rend(), [&](const check::Step& s) {
    return s.kind == check::Step::Kind::Train && s.model == index;
  });
  if (last != steps.rend()) {
    const auto data = impl_->script.data->get(impl_->exp, last->data);
    if (!data->has_float_pixels()) impl->pixels = from_data(data->pixels);
    impl->spec.class_names = data->class_list(impl->spec.outputs());
  }
  return Model(std::move(impl));
}

}  // namespace tl
