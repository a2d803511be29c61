/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * mlx4r-test: the unit-test runner.
 *
 *   mlx4r-test <EAL arguments> [-- command ...]
 *   DPDK_TEST=command mlx4r-test <EAL arguments>
 *
 * Runs each named command (suite) in turn; with no name, lists them.
 * Exit status: 0 all passed, 1 a command failed or is unknown,
 * 77 every command was skipped.
 */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_string_fns.h>

#include "test.h"

static TAILQ_HEAD(, test_command) commands =
	TAILQ_HEAD_INITIALIZER(commands);
static char binary_dir[PATH_MAX];

/*
 * The failures of the suite running now, for the summary that
 * unit_test_suite_runner() prints on stderr: each failed case with the
 * first failure message it printed. A runner nested in a case (the
 * harness's own tests) keeps its own and restores the outer one.
 *
 * test_fail_log() may run on another lcore (an assertion in a function
 * launched with rte_eal_remote_launch()); the exchange on @c taken lets
 * one writer fill @c first, and the case reads it only after
 * rte_eal_wait_lcore() returned, which orders that lcore's writes before
 * the main lcore's reads.
 */
#define TEST_FAILURES_KEPT 16
struct test_failures {
	uint8_t taken;		/* @c first holds a message */
	char first[704];	/* of the case running now */
	unsigned int n;		/* failed cases */
	char kept[TEST_FAILURES_KEPT][800];
};
static struct test_failures *failures;

void
test_fail_log(const char *file, int line, const char *func,
	      const char *fmt, ...)
{
	struct test_failures *f = failures;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf(" + FAIL %s:%d (%s): %s\n", file, line, func, msg);
	if (f != NULL && __atomic_exchange_n(&f->taken, 1, __ATOMIC_ACQ_REL) == 0)
		snprintf(f->first, sizeof(f->first), "%s:%d (%s): %s",
			 file, line, func, msg);
}

/* Keep case @p name's first failure message for the suite's summary. */
static void
keep_failure(struct test_failures *f, const char *name)
{
	if (f->n < TEST_FAILURES_KEPT)
		snprintf(f->kept[f->n], sizeof(f->kept[0]), "%s: %s", name,
			 f->taken ? f->first : "(no assertion message)");
	f->n++;
}

/* Print the suite's failures on stderr, after its summary on stdout. */
static void
print_failures(const struct test_failures *f, const char *suite_name)
{
	unsigned int i;

	if (f->n == 0)
		return;
	fprintf(stderr, "mlx4r-test: suite \"%s\": %u failed\n", suite_name,
		f->n);
	for (i = 0; i < f->n && i < TEST_FAILURES_KEPT; i++)
		fprintf(stderr, "mlx4r-test:   %s\n", f->kept[i]);
	if (f->n > TEST_FAILURES_KEPT)
		fprintf(stderr, "mlx4r-test:   and %u more\n",
			f->n - TEST_FAILURES_KEPT);
	fflush(stderr);
}

void
add_test_command(struct test_command *t)
{
	TAILQ_INSERT_TAIL(&commands, t, next);
}

const char *
test_binary_dir(void)
{
	return binary_dir;
}

int
unit_test_suite_runner(struct unit_test_suite *suite)
{
	unsigned int passed = 0, failed = 0, skipped = 0, total = 0;
	struct test_failures mine = { .n = 0 }, *outer = failures;
	const struct unit_test_case *tc;
	int ret;

	failures = &mine;

	printf(" + ------------------------------------------------------- +\n");
	printf(" + Test Suite : %s\n", suite->suite_name);
	printf(" + ------------------------------------------------------- +\n");
	if (suite->setup != NULL) {
		ret = suite->setup();
		if (ret == TEST_SKIPPED) {
			printf(" + Suite setup skipped the whole suite\n");
			for (tc = suite->unit_test_cases; tc->testcase; tc++)
				skipped++;
			goto summary;
		}
		if (ret != TEST_SUCCESS) {
			printf(" + Suite setup FAILED (%d)\n", ret);
			keep_failure(&mine, "suite setup");
			for (tc = suite->unit_test_cases; tc->testcase; tc++)
				failed++;
			goto summary;
		}
	}
	for (tc = suite->unit_test_cases; tc->testcase != NULL; tc++) {
		total++;
		if (!tc->enabled) {
			printf(" + TestCase [%2u] : %s skipped (disabled)\n",
			       total, tc->name);
			skipped++;
			continue;
		}
		__atomic_store_n(&mine.taken, 0, __ATOMIC_RELAXED);
		ret = TEST_SUCCESS;
		if (tc->setup != NULL)
			ret = tc->setup();
		if (ret == TEST_SUCCESS) {
			ret = tc->testcase();
			if (tc->teardown != NULL)
				tc->teardown();
		} else if (ret != TEST_SKIPPED) {
			printf(" + TestCase [%2u] : %s setup failed\n", total,
			       tc->name);
			ret = TEST_FAILED;
		}
		fflush(stdout);
		if (ret == TEST_SUCCESS) {
			passed++;
			printf(" + TestCase [%2u] : %s succeeded\n", total,
			       tc->name);
		} else if (ret == TEST_SKIPPED) {
			skipped++;
			printf(" + TestCase [%2u] : %s skipped\n", total,
			       tc->name);
		} else {
			failed++;
			printf(" + TestCase [%2u] : %s failed\n", total,
			       tc->name);
			keep_failure(&mine, tc->name);
		}
	}
	if (suite->teardown != NULL)
		suite->teardown();
summary:
	printf(" + ------------------------------------------------------- +\n");
	printf(" + Test Suite Summary : %s\n", suite->suite_name);
	printf(" + Tests Total :  %2u\n", passed + failed + skipped);
	printf(" + Tests Skipped :  %2u\n", skipped);
	printf(" + Tests Passed :  %2u\n", passed);
	printf(" + Tests Failed :  %2u\n", failed);
	printf(" + ------------------------------------------------------- +\n");
	fflush(stdout);
	print_failures(&mine, suite->suite_name);
	failures = outer;
	if (failed > 0)
		return TEST_FAILED;
	if (passed == 0)
		return TEST_SKIPPED;
	return TEST_SUCCESS;
}

static int
run_command(const char *name)
{
	struct test_command *t;
	int ret;

	TAILQ_FOREACH(t, &commands, next) {
		if (strcmp(t->command, name) != 0)
			continue;
		ret = t->callback();
		printf("%s: %s\n", name, ret == TEST_SUCCESS ? "Test OK" :
		       ret == TEST_SKIPPED ? "Test Skipped" : "Test Failed");
		fflush(stdout);
		return ret;
	}
	printf("%s: unknown test command; known commands:\n", name);
	TAILQ_FOREACH(t, &commands, next)
		printf("  %s\n", t->command);
	return TEST_FAILED;
}

int
main(int argc, char **argv)
{
	char self[PATH_MAX];
	unsigned int run = 0, failed = 0, skipped = 0;
	const char *env;
	ssize_t len;
	int i, n;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		self[len] = '\0';
		strlcpy(binary_dir, dirname(self), sizeof(binary_dir));
	}

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mlx4r-test: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		/* a suite that needs what the machine may lack (hugepages) */
		if (getenv("MLX4R_TEST_EAL_OPTIONAL") != NULL) {
			printf("skipped: EAL cannot start with these options here (no hugepages?)\n");
			return TEST_SKIPPED;
		}
		return 1;
	}
	argc -= n;
	argv += n;

	env = getenv("DPDK_TEST");
	if (env != NULL && env[0] != '\0') {
		int ret = run_command(env);

		run++;
		failed += ret != TEST_SUCCESS && ret != TEST_SKIPPED;
		skipped += ret == TEST_SKIPPED;
	}
	for (i = 1; i < argc; i++) {
		int ret = run_command(argv[i]);

		run++;
		failed += ret != TEST_SUCCESS && ret != TEST_SKIPPED;
		skipped += ret == TEST_SKIPPED;
	}
	if (run == 0) {
		struct test_command *t;

		printf("Known test commands (pass one after --, or set DPDK_TEST):\n");
		TAILQ_FOREACH(t, &commands, next)
			printf("  %s\n", t->command);
	}
	rte_eal_cleanup();
	if (failed > 0)
		return 1;
	if (run > 0 && skipped == run)
		return TEST_SKIPPED;
	return 0;
}
