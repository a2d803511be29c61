/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Tests of the harness itself: each assertion macro passes when it should
 * and fails (returns TEST_FAILED from the case) when it should; the suite
 * runner reports failures, skips and setup failures as it documents.
 * harness_selftest_fail is a suite that must fail: meson runs it with
 * should_fail, which shows that a failing assertion fails `meson test`.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>

#include "test.h"

static int equal_3_3(void) { TEST_ASSERT_EQUAL(3, 3, "x"); return TEST_SUCCESS; }
static int equal_1_2(void) { TEST_ASSERT_EQUAL(1, 2, "x"); return TEST_SUCCESS; }
static int neg_errno(void) { TEST_ASSERT_EQUAL(-22, -EINVAL, "x"); return TEST_SUCCESS; }
static int u64_big(void)
{
	TEST_ASSERT_EQUAL_U(UINT64_MAX, UINT64_MAX - 1, "x");
	return TEST_SUCCESS;
}
static int success_of_1(void) { TEST_ASSERT_SUCCESS(1, "x"); return TEST_SUCCESS; }
static int fail_of_0(void) { TEST_ASSERT_FAIL(0, "x"); return TEST_SUCCESS; }
static int str_differ(void) { TEST_ASSERT_STR_EQUAL("ab", "ac", "x"); return TEST_SUCCESS; }
static int str_null(void) { TEST_ASSERT_STR_EQUAL(NULL, "a", "x"); return TEST_SUCCESS; }
static int str_same(void) { TEST_ASSERT_STR_EQUAL("ab", "ab", "x"); return TEST_SUCCESS; }
static int null_of_ptr(void) { TEST_ASSERT_NULL((void *)1, "x"); return TEST_SUCCESS; }
static int ge_fails(void) { TEST_ASSERT_GE_U(1, 2, "x"); return TEST_SUCCESS; }
static int bufs_differ(void)
{
	const char a[] = "abcd", b[] = "abce";

	TEST_ASSERT_BUFFERS_ARE_EQUAL(a, b, sizeof(a), "x");
	return TEST_SUCCESS;
}
static int skips(void) { TEST_SKIP("on purpose"); }

static int
test_assertions(void)
{
	TEST_ASSERT_EQUAL(equal_3_3(), TEST_SUCCESS, "3 == 3 must pass");
	TEST_ASSERT_EQUAL(neg_errno(), TEST_SUCCESS, "-22 == -EINVAL");
	TEST_ASSERT_EQUAL(str_same(), TEST_SUCCESS, "equal strings");
	TEST_ASSERT_EQUAL(equal_1_2(), TEST_FAILED, "1 == 2 must fail");
	TEST_ASSERT_EQUAL(u64_big(), TEST_FAILED, "u64 difference");
	TEST_ASSERT_EQUAL(success_of_1(), TEST_FAILED, "SUCCESS(1)");
	TEST_ASSERT_EQUAL(fail_of_0(), TEST_FAILED, "FAIL(0)");
	TEST_ASSERT_EQUAL(str_differ(), TEST_FAILED, "different strings");
	TEST_ASSERT_EQUAL(str_null(), TEST_FAILED, "NULL string");
	TEST_ASSERT_EQUAL(null_of_ptr(), TEST_FAILED, "NULL(1)");
	TEST_ASSERT_EQUAL(ge_fails(), TEST_FAILED, "1 >= 2");
	TEST_ASSERT_EQUAL(bufs_differ(), TEST_FAILED, "buffers");
	TEST_ASSERT_EQUAL(skips(), TEST_SKIPPED, "skip");
	return TEST_SUCCESS;
}

/* Counters the inner suites below leave behind. */
static unsigned int inner_setups, inner_teardowns;

static int inner_setup(void) { inner_setups++; return TEST_SUCCESS; }
static void inner_teardown(void) { inner_teardowns++; }
static int inner_pass(void) { return TEST_SUCCESS; }
static int inner_fail(void) { TEST_ASSERT(0, "on purpose"); return TEST_SUCCESS; }
static int inner_skip(void) { return TEST_SKIPPED; }
static int inner_setup_skip(void) { return TEST_SKIPPED; }

static struct unit_test_suite inner_mixed = {
	.suite_name = "inner mixed (one failure expected)",
	.unit_test_cases = {
		TEST_CASE_ST(inner_setup, inner_teardown, inner_pass),
		TEST_CASE_ST(inner_setup, inner_teardown, inner_fail),
		TEST_CASE(inner_skip),
		TEST_CASE_DISABLED(inner_pass),
		TEST_CASES_END()
	}
};

static struct unit_test_suite inner_all_skipped = {
	.suite_name = "inner all skipped",
	.setup = inner_setup_skip,
	.unit_test_cases = {
		TEST_CASE(inner_pass),
		TEST_CASES_END()
	}
};

static struct unit_test_suite inner_passing = {
	.suite_name = "inner passing",
	.unit_test_cases = {
		TEST_CASE(inner_pass),
		TEST_CASE(inner_skip),
		TEST_CASES_END()
	}
};

/*
 * Run @p suite with stderr sent to a temporary file; its text, up to
 * @p len - 1 bytes, lands in @p buf. Returns the runner's result.
 */
static int
run_capturing_stderr(struct unit_test_suite *suite, char *buf, size_t len)
{
	FILE *tmp = tmpfile();
	int saved, ret;
	size_t n;

	buf[0] = '\0';
	if (tmp == NULL)
		return -errno;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	if (saved < 0 || dup2(fileno(tmp), STDERR_FILENO) < 0) {
		fclose(tmp);
		return -errno;
	}
	ret = unit_test_suite_runner(suite);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return ret;
}

/*
 * A failing suite names its failed cases and their first assertion on
 * stderr after its summary: meson --print-errorlogs shows only a long
 * log's last 100 lines, stderr after stdout, and the EAL's and the
 * driver's log lines are on stderr too.
 */
static int
test_failure_summary(void)
{
	char err[4096];

	TEST_ASSERT_EQUAL(run_capturing_stderr(&inner_mixed, err, sizeof(err)),
			  TEST_FAILED, "the mixed suite fails");
	TEST_ASSERT_NOT_NULL(strstr(err,
		"mlx4r-test: suite \"inner mixed (one failure expected)\": 1 failed\n"),
		"the count on stderr: \"%s\"", err);
	TEST_ASSERT_NOT_NULL(strstr(err, "mlx4r-test:   inner_fail: "),
			     "the failed case named: \"%s\"", err);
	TEST_ASSERT_NOT_NULL(strstr(err, "(inner_fail): assertion '0' failed: on purpose\n"),
			     "its assertion and message: \"%s\"", err);
	TEST_ASSERT_NULL(strstr(err, "inner_pass"), "only the failed case");
	TEST_ASSERT_EQUAL(run_capturing_stderr(&inner_passing, err, sizeof(err)),
			  TEST_SUCCESS, "the passing suite passes");
	TEST_ASSERT_STR_EQUAL(err, "", "nothing on stderr when all pass");
	return TEST_SUCCESS;
}

static int
test_runner(void)
{
	inner_setups = inner_teardowns = 0;
	TEST_ASSERT_EQUAL(unit_test_suite_runner(&inner_mixed), TEST_FAILED,
			  "a failing case fails the suite");
	TEST_ASSERT_EQUAL(inner_setups, 2, "case setups run");
	TEST_ASSERT_EQUAL(inner_teardowns, 2, "teardowns run after failures");
	TEST_ASSERT_EQUAL(unit_test_suite_runner(&inner_all_skipped),
			  TEST_SKIPPED, "a suite whose setup skips is skipped");
	TEST_ASSERT_EQUAL(unit_test_suite_runner(&inner_passing), TEST_SUCCESS,
			  "pass + skip is a pass");
	return TEST_SUCCESS;
}

static struct unit_test_suite harness_suite = {
	.suite_name = "test harness",
	.unit_test_cases = {
		TEST_CASE(test_assertions),
		TEST_CASE(test_runner),
		TEST_CASE(test_failure_summary),
		TEST_CASES_END()
	}
};

static int
harness_autotest(void)
{
	return unit_test_suite_runner(&harness_suite);
}

REGISTER_TEST_COMMAND(harness_autotest, harness_autotest);

/* Must fail: meson runs it with should_fail: true. */
static int
selftest_expected_failure(void)
{
	TEST_ASSERT_EQUAL(1 + 1, 3, "this assertion fails on purpose");
	return TEST_SUCCESS;
}

static struct unit_test_suite harness_fail_suite = {
	.suite_name = "harness self-test (must fail)",
	.unit_test_cases = {
		TEST_CASE(inner_pass),
		TEST_CASE(selftest_expected_failure),
		TEST_CASES_END()
	}
};

static int
harness_selftest_fail(void)
{
	return unit_test_suite_runner(&harness_fail_suite);
}

REGISTER_TEST_COMMAND(harness_selftest_fail, harness_selftest_fail);
