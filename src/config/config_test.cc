#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config/config_parse.h"
#include "config/engine_memory.h"
#include "util/glob.h"

namespace stash {
namespace {

std::string TempFile(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("stash_config_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(path) << text;
  return path.string();
}

std::string Get(const Config& c, const std::string& name) {
  auto m = c.Match({name});
  return m.empty() ? "<none>" : m[0].second;
}

TEST(EngineMemory, BudgetSplitsIntoMemtablesAndABlockCacheSharedWithTables) {
  Settings s;  // defaults: memory-budget 256mb, lsm sizes 0, one immutable memtable
  EngineMemory m = ResolveEngineMemory(s);
  EXPECT_EQ(m.memtable_size, 32u << 20);
  EXPECT_EQ(m.max_immutable_memtables, 1);
  EXPECT_EQ(m.block_cache_size, 160u << 20);  // 256 - 2 * 32 - 256 / 8
  EXPECT_TRUE(m.block_cache_includes_tables);

  s.memory_budget = 24 << 20;  // conf/low-memory.conf
  m = ResolveEngineMemory(s);
  EXPECT_EQ(m.memtable_size, 3u << 20);
  EXPECT_EQ(m.block_cache_size, 15u << 20);

  s.lsm_max_immutable_memtables = 8;  // memtables leave less than an eighth: the cache keeps it
  m = ResolveEngineMemory(s);
  EXPECT_EQ(m.block_cache_size, 3u << 20);

  s.lsm_memtable_size = 1 << 20;  // explicit sizes are used as given
  s.lsm_block_cache_size = 7 << 20;
  m = ResolveEngineMemory(s);
  EXPECT_EQ(m.memtable_size, 1u << 20);
  EXPECT_EQ(m.block_cache_size, 7u << 20);

  Settings none;
  none.memory_budget = 0;  // no budget: the engine's own defaults, tables not counted
  m = ResolveEngineMemory(none);
  EXPECT_EQ(m.memtable_size, 64u << 20);
  EXPECT_EQ(m.block_cache_size, 256u << 20);
  EXPECT_FALSE(m.block_cache_includes_tables);
}

TEST(ConfigParse, MemoryUnitsFollowRedis) {
  int64_t v;
  ASSERT_TRUE(ParseMemory("1k", &v));
  EXPECT_EQ(v, 1000);
  ASSERT_TRUE(ParseMemory("1KB", &v));
  EXPECT_EQ(v, 1024);
  ASSERT_TRUE(ParseMemory("3mb", &v));
  EXPECT_EQ(v, 3 << 20);
  ASSERT_TRUE(ParseMemory("2g", &v));
  EXPECT_EQ(v, 2000000000);
  ASSERT_TRUE(ParseMemory("1gb", &v));
  EXPECT_EQ(v, 1 << 30);
  ASSERT_TRUE(ParseMemory("123", &v));
  EXPECT_EQ(v, 123);
  EXPECT_FALSE(ParseMemory("1tb", &v));
  EXPECT_FALSE(ParseMemory("mb", &v));
  EXPECT_FALSE(ParseMemory("99999999999gb", &v));
}

TEST(ConfigParse, SplitsQuotedArguments) {
  std::vector<std::string> a;
  ASSERT_TRUE(SplitConfigArgs(R"(requirepass "p w\x41\n" 'it\'s')", &a));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1], "p wA\n");
  EXPECT_EQ(a[2], "it's");
  ASSERT_TRUE(SplitConfigArgs(R"(logfile "")", &a));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1], "");
  EXPECT_FALSE(SplitConfigArgs(R"(x "unbalanced)", &a));
  EXPECT_FALSE(SplitConfigArgs(R"(x "a"b)", &a));
}

TEST(Glob, MatchesLikeRedis) {
  EXPECT_TRUE(GlobMatch("*max*", "maxclients", false));
  EXPECT_TRUE(GlobMatch("h?llo", "hello", false));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo", false));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello", false));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo", false));
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo", false));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hello", false));
  EXPECT_TRUE(GlobMatch("PORT", "port", true));
  EXPECT_FALSE(GlobMatch("PORT", "port", false));
  EXPECT_TRUE(GlobMatch("*", "", false));
  EXPECT_FALSE(GlobMatch("?", "", false));
}

TEST(Config, LoadsFileAndRefusesUnknownOptionNamingTheLine) {
  Config ok;
  ASSERT_TRUE(
      ok.LoadFile(TempFile("ok", "# comment\nport 7000\nmaxclients 5\n\nbind 127.0.0.1 ::1\n"))
          .ok());
  EXPECT_EQ(Get(ok, "port"), "7000");
  EXPECT_EQ(Get(ok, "bind"), "127.0.0.1 ::1");

  Config bad;
  Status s = bad.LoadFile(TempFile("bad", "port 7000\n\nno-such-option 1\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("unknown option"), std::string::npos) << s.message();

  Config badvalue;
  s = badvalue.LoadFile(TempFile("badvalue", "port notanumber\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("couldn't be parsed into an integer"), std::string::npos);
}

TEST(Config, RuntimeSetIsAllOrNothingWithRedisErrors) {
  Config c;
  std::string err;
  EXPECT_FALSE(c.SetAtRuntime({{"port", "1"}}, &err));
  EXPECT_EQ(
      err,
      "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
  EXPECT_FALSE(c.SetAtRuntime({{"nope", "1"}}, &err));
  EXPECT_EQ(err, "ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
  EXPECT_FALSE(c.SetAtRuntime({{"maxclients", "50"}, {"timeout", "x"}}, &err));
  EXPECT_EQ(Get(c, "maxclients"), "10000");  // the first pair was not applied either
  EXPECT_TRUE(c.SetAtRuntime(
      {{"maxclients", "50"}, {"client-output-buffer-limit", "normal 1kb 2kb 3"}}, &err));
  EXPECT_EQ(Get(c, "maxclients"), "50");
  EXPECT_EQ(c.Snapshot().output_limit_normal.hard_bytes, 1024);
  EXPECT_EQ(c.Snapshot().output_limit_normal.soft_seconds, 3);
  EXPECT_FALSE(c.SetAtRuntime({{"appendfsync", "sometimes"}}, &err));
}

TEST(Config, RewriteKeepsCommentsAndAppendsChangedOptions) {
  std::string path = TempFile("rewrite", "# keep me\nmaxclients 10\n# and me\n");
  Config c;
  ASSERT_TRUE(c.LoadFile(path).ok());
  std::string err;
  ASSERT_TRUE(c.SetAtRuntime({{"maxclients", "20"}, {"timeout", "7"}}, &err));
  ASSERT_TRUE(c.Rewrite().ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "# keep me\nmaxclients 20\n# and me\n# Generated by CONFIG REWRITE\ntimeout 7\n");
  Config again;
  ASSERT_TRUE(again.LoadFile(path).ok());
  EXPECT_EQ(Get(again, "timeout"), "7");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace stash

namespace stash {
namespace {

TEST(Glob, ManyStarsDoNotBacktrackExponentially) {
  // Regression: the recursive matcher took seconds on this (KEYS *a*a*a*a*a*a*a*a*b).
  std::string key(40, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*b", key, false));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*", key, false));
  EXPECT_TRUE(GlobMatch("a*b*c", "axxbyyc", false));
  EXPECT_FALSE(GlobMatch("a*b*c", "axxbyy", false));
  EXPECT_TRUE(GlobMatch("*[0-9]", "key7", false));
  EXPECT_TRUE(GlobMatch("user:*:name", "user:42:name", false));
  EXPECT_FALSE(GlobMatch("user:*:name", "user:42:age", false));
  EXPECT_TRUE(GlobMatch("h[", "h", false) == false);
}

}  // namespace
}  // namespace stash
