// The run folder (`tlc run --out DIR`): every file a run writes there is
// recorded in DIR/.tl-files as it is written, so the next fresh run of any
// script in that folder first removes exactly the files the previous run
// wrote (in DIR and DIR/charts/): no comparison, chart or model file of a step the script no longer
// has survives to contradict results.json, and no file of the user's is
// touched. A resumed run continues the record.
#pragma once

#include <set>
#include <string>

namespace tl::run {

class RunFolder {
 public:
  explicit RunFolder(std::string dir) : dir_(std::move(dir)) {}

  /// Creates the folder, removes the files the previous run recorded except
  /// those in `keep` (paths the script reads, such as a load()ed model), and
  /// starts a new record.
  void start_fresh(const std::set<std::string>& keep);
  /// Creates the folder and continues the record of the run being resumed.
  void resume();
  /// DIR/name, recorded as written by this run.
  std::string file(const std::string& name);
  const std::string& dir() const { return dir_; }

  /// The record's file name inside the folder.
  static constexpr const char* record_name = ".tl-files";

 private:
  std::string dir_;
  std::set<std::string> recorded_;
};

}  // namespace tl::run
