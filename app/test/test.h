/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_TEST_H
#define MLX4R_TEST_H

/**
 * @file
 * A small autotest harness in the style of DPDK's app/test (whose test.h is
 * not installed by distributions).
 *
 * A *command* is a named entry point, registered with REGISTER_TEST_COMMAND()
 * and selected by name on the command line (after "--") or in the
 * DPDK_TEST environment variable. A command usually runs one *suite*: a
 * table of cases, each with optional setup and teardown, run by
 * unit_test_suite_runner().
 *
 * Assertion macros print the expression, the expected and the actual value
 * with file and line, and make the current case return TEST_FAILED.
 * A case or a command returns TEST_SUCCESS, TEST_FAILED or TEST_SKIPPED;
 * the runner exits 0, 1 or 77 (meson's "skipped").
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#define TEST_SUCCESS 0
#define TEST_FAILED (-1)
#define TEST_SKIPPED 77

/*
 * Print a failure with its location on stdout, and keep it for the
 * suite's closing summary on stderr (test.c): a runner that shows only
 * the tail of a long log (meson's --print-errorlogs keeps the last 100
 * lines, stderr after stdout) still shows which case failed and why.
 */
void test_fail_log(const char *file, int line, const char *func,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define TEST_FAIL_LOG_(fmt, ...) \
	test_fail_log(__FILE__, __LINE__, __func__, fmt, ##__VA_ARGS__)

/** Fail the current case unless @p cond holds; the message is printf-like. */
#define TEST_ASSERT(cond, msg, ...) do { \
	if (!(cond)) { \
		TEST_FAIL_LOG_("assertion '%s' failed: " msg, #cond, \
			       ##__VA_ARGS__); \
		return TEST_FAILED; \
	} \
} while (0)

/** Fail the current case with a message. */
#define TEST_FAIL(msg, ...) do { \
	TEST_FAIL_LOG_(msg, ##__VA_ARGS__); \
	return TEST_FAILED; \
} while (0)

/** Skip the current case (or command), saying why. */
#define TEST_SKIP(msg, ...) do { \
	printf(" + SKIP %s: " msg "\n", __func__, ##__VA_ARGS__); \
	return TEST_SKIPPED; \
} while (0)

/*
 * Integer comparisons print both sides as intmax_t (signed) or uintmax_t
 * (unsigned), so that an errno, a counter or a pointer difference is shown
 * as it is.
 */
#define TEST_CMP_(a, op, b, T, fmt, msg, ...) do { \
	T a_ = (T)(a), b_ = (T)(b); \
	if (!(a_ op b_)) { \
		TEST_FAIL_LOG_("'%s %s %s' failed: %s = " fmt ", %s = " fmt \
			       " ; " msg, #a, #op, #b, #a, a_, #b, b_, \
			       ##__VA_ARGS__); \
		return TEST_FAILED; \
	} \
} while (0)

/** Fail unless a == b (signed); prints "expected" (b) and actual (a). */
#define TEST_ASSERT_EQUAL(a, b, msg, ...) \
	TEST_CMP_(a, ==, b, intmax_t, "%jd", msg, ##__VA_ARGS__)
#define TEST_ASSERT_NOT_EQUAL(a, b, msg, ...) \
	TEST_CMP_(a, !=, b, intmax_t, "%jd", msg, ##__VA_ARGS__)
/** Unsigned variants, for 64-bit counters and sizes. */
#define TEST_ASSERT_EQUAL_U(a, b, msg, ...) \
	TEST_CMP_(a, ==, b, uintmax_t, "%ju", msg, ##__VA_ARGS__)
#define TEST_ASSERT_GE_U(a, b, msg, ...) \
	TEST_CMP_(a, >=, b, uintmax_t, "%ju", msg, ##__VA_ARGS__)
#define TEST_ASSERT_LE_U(a, b, msg, ...) \
	TEST_CMP_(a, <=, b, uintmax_t, "%ju", msg, ##__VA_ARGS__)
#define TEST_ASSERT_GT_U(a, b, msg, ...) \
	TEST_CMP_(a, >, b, uintmax_t, "%ju", msg, ##__VA_ARGS__)

/** Fail unless the call succeeded (returned 0); prints what it returned. */
#define TEST_ASSERT_SUCCESS(val, msg, ...) \
	TEST_CMP_(val, ==, 0, intmax_t, "%jd", msg, ##__VA_ARGS__)
/** Fail if the call returned 0. */
#define TEST_ASSERT_FAIL(val, msg, ...) \
	TEST_CMP_(val, !=, 0, intmax_t, "%jd", msg, ##__VA_ARGS__)

#define TEST_ASSERT_NULL(p, msg, ...) \
	TEST_ASSERT((p) == NULL, msg, ##__VA_ARGS__)
#define TEST_ASSERT_NOT_NULL(p, msg, ...) \
	TEST_ASSERT((p) != NULL, msg, ##__VA_ARGS__)

/** Fail unless the strings are equal; prints both. */
#define TEST_ASSERT_STR_EQUAL(a, b, msg, ...) do { \
	const char *sa_ = (a), *sb_ = (b); \
	if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0) { \
		TEST_FAIL_LOG_("'%s == %s' failed: \"%s\" vs \"%s\" ; " msg, \
			       #a, #b, sa_ ? sa_ : "(null)", \
			       sb_ ? sb_ : "(null)", ##__VA_ARGS__); \
		return TEST_FAILED; \
	} \
} while (0)

/** Fail unless the two buffers hold the same @p len bytes. */
#define TEST_ASSERT_BUFFERS_ARE_EQUAL(a, b, len, msg, ...) do { \
	if (memcmp((a), (b), (len)) != 0) { \
		TEST_FAIL_LOG_("buffers %s and %s differ ; " msg, #a, #b, \
			       ##__VA_ARGS__); \
		return TEST_FAILED; \
	} \
} while (0)

/** One case of a suite. */
struct unit_test_case {
	int (*setup)(void);     /**< run before the case, may be NULL */
	void (*teardown)(void); /**< run after the case, may be NULL */
	int (*testcase)(void);  /**< the case itself */
	const char *name;       /**< printed in the report */
	int enabled;            /**< 0 to list the case as skipped */
};

#define TEST_CASE(fn) { NULL, NULL, fn, #fn, 1 }
#define TEST_CASE_ST(setup, teardown, fn) { setup, teardown, fn, #fn, 1 }
#define TEST_CASE_DISABLED(fn) { NULL, NULL, fn, #fn, 0 }
#define TEST_CASES_END() { NULL, NULL, NULL, NULL, 0 }

/** A suite: setup/teardown around all cases, then the cases. */
struct unit_test_suite {
	const char *suite_name;
	int (*setup)(void);     /**< may return TEST_SKIPPED to skip all */
	void (*teardown)(void);
	struct unit_test_case unit_test_cases[];
};

/**
 * Run every case of @p suite, print a summary.
 * @return TEST_SUCCESS if no case failed and at least one passed,
 *   TEST_SKIPPED if every case was skipped, TEST_FAILED otherwise.
 */
int unit_test_suite_runner(struct unit_test_suite *suite);

/** A registered command (normally one suite). */
struct test_command {
	TAILQ_ENTRY(test_command) next;
	const char *command;
	int (*callback)(void);
};

void add_test_command(struct test_command *t);

/** Register @p func under @p cmd, as DPDK's app/test does. */
#define REGISTER_TEST_COMMAND(cmd, func) \
	static struct test_command test_struct_##cmd = { \
		.command = RTE_STR(cmd), \
		.callback = func, \
	}; \
	RTE_INIT(test_register_##cmd) \
	{ \
		add_test_command(&test_struct_##cmd); \
	}

/** Directory of the test binary, for finding the driver plugin and tools. */
const char *test_binary_dir(void);

#endif /* MLX4R_TEST_H */
