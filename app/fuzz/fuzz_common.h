/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

/*
 * What the libFuzzer targets of app/fuzz share: quiet logs, EAL set-up
 * for the targets that need a running DPDK, the input as a C string, and
 * the one way a target reports a broken invariant (abort(), which
 * libFuzzer records as a crash with its input).
 */

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Logs below CRIT are dropped (a refused devarg logs one ERR line per
 * input), unless MLX4R_FUZZ_LOG is set in the environment.
 */
void fuzz_quiet_logs(void);

/*
 * rte_eal_init() for a target: no hugepages, no PCI, no shared
 * configuration file (--no-shconf), one lcore, no telemetry socket, plus @p nb_extra more
 * arguments (e.g. --vdev=...). Exits the process on failure.
 */
void fuzz_eal_init(const char *prog, const char *const *extra,
		   unsigned int nb_extra);

/* A NUL-terminated copy of the input (free() it); exits on ENOMEM. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* Report a broken invariant and abort: libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) \
		fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
} while (0)

void fuzz_fail(const char *file, int line, const char *cond,
	       const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

#endif /* FUZZ_COMMON_H */
