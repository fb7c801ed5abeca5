// Listing and loading image folders; see image_folder.hpp.
#include "runtime/data/image_folder.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image/decode.hpp"
#include "runtime/data/image/resize.hpp"
#include "runtime/data/parallel.hpp"

namespace tl::data {

namespace {

constexpr int max_depth = 64;

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

/// The names in `dir` (not hidden, not . or ..), sorted.
std::vector<std::string> entries(const std::string& dir) {
  std::unique_ptr<DIR, DirCloser> d(opendir(dir.c_str()));
  if (!d) {
    const int err = errno;
    throw DataError(dir, std::nullopt, fmt::format("cannot read the folder: {}", std::strerror(err)),
                    err == ENOENT    ? "check the path (relative paths are relative to the script's folder)"
                    : err == ENOTDIR ? "images() takes a folder: one subfolder per class, or the images themselves"
                    : err == EACCES  ? "make the folder readable (chmod a+rx)"
                                     : "");
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d.get()))
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name; }

/// Collects the image files under `dir`, recursively, in sorted order;
/// `active` holds the directories on the current path, to catch link loops.
void walk(const std::string& dir, std::set<std::pair<dev_t, ino_t>>& active, int depth, std::vector<std::string>& out) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw DataError(dir, std::nullopt, fmt::format("cannot read the folder: {}", std::strerror(errno)));
  if (!active.insert({st.st_dev, st.st_ino}).second)
    throw DataError(dir, std::nullopt, "a symbolic link loop: this folder leads back to one that contains it",
                    "remove the link, or point it outside the image folder");
  if (depth > max_depth)
    throw DataError(dir, std::nullopt, fmt::format("folders nest more than {} deep", max_depth));
  for (const std::string& name : entries(dir)) {
    const std::string path = join(dir, name);
    struct stat entry {};
    if (::stat(path.c_str(), &entry) != 0) {
      if (errno == ELOOP)
        throw DataError(path, std::nullopt, "a symbolic link loop", "remove the link, or point it at a file");
      if (image::has_image_extension(name)) out.push_back(path);  // a dangling link: reported when read
      continue;
    }
    if (S_ISDIR(entry.st_mode))
      walk(path, active, depth + 1, out);
    else if (image::has_image_extension(name))
      out.push_back(path);
  }
  active.erase({st.st_dev, st.st_ino});
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// Runs fn(i) for every file on the option's threads; failures are kept per
/// file, then thrown (the first in listing order) or, with skip_bad, recorded
/// and the file marked in `bad`.
template <class Fn>
void for_each_file(const std::vector<std::string>& files, const FolderOptions& options, std::vector<bool>& bad,
                   std::vector<std::pair<std::string, std::string>>& skipped, Fn&& fn) {
  std::vector<std::exception_ptr> errors(files.size());
  parallel_for(files.size(), options.threads, [&](std::size_t i) {
    try {
      fn(i);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  bad.assign(files.size(), false);
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!errors[i]) continue;
    if (!options.skip_bad) std::rethrow_exception(errors[i]);
    bad[i] = true;
    try {
      std::rethrow_exception(errors[i]);
    } catch (const DataError& e) {
      skipped.emplace_back(files[i], e.message());
    } catch (const std::bad_alloc&) {
      skipped.emplace_back(files[i], "out of memory decoding it");
    }
  }
}

template <class T>
void keep_good(std::vector<T>& values, const std::vector<bool>& bad) {
  std::size_t out = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (bad[i]) continue;
    if (out != i) values[out] = std::move(values[i]);  // never self-move: it empties a string
    ++out;
  }
  values.resize(out);
}

}  // namespace

FolderListing list_folder(const std::string& root, const FolderOptions& options) {
  FolderListing listing;
  listing.root = root;
  // 1. Classes are the subfolders; image files directly inside make an
  //    unlabelled set. Both at once is ambiguous.
  std::vector<std::string> classes, loose;
  for (const std::string& name : entries(root)) {
    if (is_dir(join(root, name)))
      classes.push_back(name);
    else if (image::has_image_extension(name))
      loose.push_back(name);
  }
  if (!classes.empty() && !loose.empty())
    throw DataError(join(root, loose.front()), std::nullopt,
                    fmt::format("an image beside the class folders ({} such files); every image of a labelled folder "
                                "belongs in a class folder",
                                loose.size()),
                    "move the images into class folders, or into a folder of their own to predict on");
  if (classes.size() > static_cast<std::size_t>(max_classes))
    throw DataError(root, std::nullopt,
                    fmt::format("{} class folders; tl takes up to {} classes", classes.size(), max_classes));
  // 2. The files, by class.
  std::set<std::pair<dev_t, ino_t>> active;
  struct stat st {};
  if (::stat(root.c_str(), &st) == 0) active.insert({st.st_dev, st.st_ino});
  if (classes.empty()) {
    for (const std::string& name : loose) listing.files.push_back(join(root, name));
    listing.labels.assign(listing.files.size(), -1);
    if (listing.files.empty())
      throw DataError(root, std::nullopt, "the folder has no images (.png, .jpg, .jpeg or .bmp files) and no class folders",
                      "put one subfolder per class in it, each holding that class's images");
  } else {
    for (std::size_t c = 0; c < classes.size(); ++c) {
      const std::string dir = join(root, classes[c]);
      std::vector<std::string> files;
      walk(dir, active, 1, files);
      if (files.empty())
        throw DataError(dir, std::nullopt, "this class folder has no images (.png, .jpg, .jpeg or .bmp files)",
                        "add its images, or remove the folder");
      for (auto& f : files) {
        listing.files.push_back(std::move(f));
        listing.labels.push_back(static_cast<std::int32_t>(c));
      }
    }
    listing.class_names = classes;
  }
  // 3. Every header, on several threads.
  listing.headers.resize(listing.files.size());
  std::vector<bool> bad;
  for_each_file(listing.files, options, bad, listing.skipped,
                [&](std::size_t i) { listing.headers[i] = image::probe(listing.files[i]); });
  keep_good(listing.files, bad);
  keep_good(listing.labels, bad);
  keep_good(listing.headers, bad);
  if (listing.files.empty())
    throw DataError(root, std::nullopt, fmt::format("none of the folder's {} image files could be read", listing.skipped.size()),
                    "the first: " + listing.skipped.front().first + ": " + listing.skipped.front().second);
  // 4. The sample shape.
  const image::Header& first = listing.headers.front();
  if (options.height > 0) {
    listing.height = options.height;
    listing.width = options.width;
  } else {
    for (std::size_t i = 1; i < listing.headers.size(); ++i) {
      const image::Header& h = listing.headers[i];
      if (h.height != first.height || h.width != first.width)
        throw DataError(listing.files[i], std::nullopt,
                        fmt::format("this image is {}x{}, but {} is {}x{}: images of different sizes need a size to "
                                    "be resized to",
                                    h.height, h.width, listing.files.front(), first.height, first.width),
                        fmt::format("give one: images(\"{}\", size = {}x{})", root, first.height, first.width));
    }
    listing.height = first.height;
    listing.width = first.width;
  }
  listing.channels = options.channels;
  if (listing.channels == 0) {
    listing.channels = 1;
    for (const auto& h : listing.headers)
      if (h.channels == 3) listing.channels = 3;
  }
  return listing;
}

ImagesAndLabels load_folder(const FolderListing& listing, const FolderOptions& options) {
  ImagesAndLabels out;
  out.height = listing.height;
  out.width = listing.width;
  out.channels = listing.channels;
  const std::size_t bytes = std::size_t(out.height) * std::size_t(out.width) * std::size_t(out.channels);
  out.pixels.resize(bytes * listing.files.size());
  std::vector<bool> bad;
  out.skipped = listing.skipped;
  for_each_file(listing.files, options, bad, out.skipped, [&](std::size_t i) {
    const image::Image img = image::read_image(listing.files[i], out.height, out.width, out.channels);
    std::copy(img.pixels.begin(), img.pixels.end(), out.pixels.begin() + static_cast<std::ptrdiff_t>(i * bytes));
  });
  // Compact the pixels of the files that decoded.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < listing.files.size(); ++i) {
    if (bad[i]) continue;
    if (kept != i)
      std::copy_n(out.pixels.begin() + static_cast<std::ptrdiff_t>(i * bytes), bytes,
                  out.pixels.begin() + static_cast<std::ptrdiff_t>(kept * bytes));
    out.files.push_back(listing.files[i]);
    out.labels.push_back(listing.labels[i]);
    ++kept;
  }
  out.pixels.resize(kept * bytes);
  if (kept == 0)
    throw DataError(listing.root, std::nullopt, fmt::format("none of the folder's {} image files could be decoded", out.skipped.size()),
                    "the first: " + out.skipped.front().first + ": " + out.skipped.front().second);
  out.class_names = listing.class_names;
  out.labelled = !listing.class_names.empty();
  return out;
}

}  // namespace tl::data
