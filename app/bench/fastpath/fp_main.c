/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fast-path micro-benchmark (prints figures, asserts only that the bursts
 * did their work): cycles per packet of upstream net_mlx4's and mlx4r's
 * Rx and Tx bursts on identical fake mlx4 rings, rounds alternating the
 * two drivers so that load from other processes hits both; the medians
 * and the ratio mlx4r / upstream. Instructions per packet come from
 * running one driver and one path under callgrind (--only, --path; see
 * devtools/bench-fastpath.sh).
 *
 *   fp-bench [EAL args] -- [--rounds R] [--iters N] [--burst B]
 *                          [--only upstream|mlx4r] [--path rx|tx]
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fp.h"

#define FP_DESC 512
#define FP_TXBBS 1024 /* libmlx4: roundup_pow2(512 + 2048 / 64 + 1) */
#define FP_LEN 64
#define FP_BURST_MAX 64

struct fp_case {
	const struct fp_driver *drv;
	struct fp_rx_ring rxr;
	struct fp_tx_ring txr;
	void *rxq;
	void *txq;
};

static struct rte_mempool *fp_mp;
static unsigned int fp_burst = 32;

/* cycles spent in rx_burst for iters bursts of fp_burst packets */
static uint64_t
fp_run_rx(struct fp_case *c, unsigned int iters)
{
	struct rte_mbuf *pkts[FP_BURST_MAX];
	uint64_t cyc = 0;
	unsigned int i;

	for (i = 0; i < iters; i++) {
		uint64_t t0;
		uint16_t n;

		fp_dev_rx(&c->rxr, fp_burst, FP_LEN);
		t0 = rte_rdtsc();
		n = c->drv->rx_burst(c->rxq, pkts, fp_burst);
		cyc += rte_rdtsc() - t0;
		if (n != fp_burst)
			rte_exit(EXIT_FAILURE, "%s Rx: %u of %u frames\n",
				 c->drv->name, n, fp_burst);
		if (pkts[0]->pkt_len != FP_LEN ||
		    pkts[n - 1]->data_len != FP_LEN)
			rte_exit(EXIT_FAILURE, "%s Rx: bad length\n",
				 c->drv->name);
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return cyc;
}

static uint64_t
fp_run_tx(struct fp_case *c, unsigned int iters)
{
	struct rte_mbuf *pkts[FP_BURST_MAX];
	uint64_t cyc = 0;
	unsigned int i, j;

	for (i = 0; i < iters; i++) {
		uint64_t t0;
		uint16_t n;

		if (rte_pktmbuf_alloc_bulk(fp_mp, pkts, fp_burst) != 0)
			rte_exit(EXIT_FAILURE, "pool empty\n");
		for (j = 0; j < fp_burst; j++) {
			pkts[j]->data_len = FP_LEN;
			pkts[j]->pkt_len = FP_LEN;
		}
		t0 = rte_rdtsc();
		n = c->drv->tx_burst(c->txq, pkts, fp_burst);
		cyc += rte_rdtsc() - t0;
		if (n != fp_burst)
			rte_exit(EXIT_FAILURE, "%s Tx: %u of %u sent\n",
				 c->drv->name, n, fp_burst);
		fp_dev_tx(&c->txr);
	}
	return cyc;
}

static int
fp_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of @p n (at most 64) values; @p v is left as it was. */
static double
fp_median(const double *v, unsigned int n)
{
	double s[64];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), fp_cmp);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void
fp_case_init(struct fp_case *c, const struct fp_driver *drv)
{
	c->drv = drv;
	fp_rx_ring_alloc(&c->rxr, FP_DESC);
	fp_tx_ring_alloc(&c->txr, FP_TXBBS);
	c->rxq = drv->rx_create(fp_mp, &c->rxr);
	c->txq = drv->tx_create(fp_mp, &c->txr, FP_DESC);
}

static void
fp_case_fini(struct fp_case *c)
{
	c->drv->rx_destroy(c->rxq);
	c->drv->tx_destroy(c->txq);
	fp_rx_ring_free(&c->rxr);
	fp_tx_ring_free(&c->txr);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "iters", required_argument, NULL, 'i' },
		{ "burst", required_argument, NULL, 'b' },
		{ "only", required_argument, NULL, 'o' },
		{ "path", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const struct fp_driver *drivers[] = { &fp_upstream, &fp_mlx4r };
	struct fp_case cases[2];
	unsigned int rounds = 31, iters = 2000, r, d, nd = 2;
	const char *only = NULL, *path = NULL;
	double rx[2][64], tx[2][64];
	int ret, opt;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': rounds = RTE_MIN(atoi(optarg), 64); break;
		case 'i': iters = atoi(optarg); break;
		case 'b': fp_burst = RTE_MIN(atoi(optarg), FP_BURST_MAX); break;
		case 'o': only = optarg; break;
		case 'p': path = optarg; break;
		default: rte_exit(EXIT_FAILURE, "bad option\n");
		}
	}
	if (rounds == 0 || iters == 0 || fp_burst == 0)
		rte_exit(EXIT_FAILURE, "rounds, iters and burst must be > 0\n");
	fp_mp = rte_pktmbuf_pool_create("fp", 8191, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE,
					rte_socket_id());
	if (fp_mp == NULL)
		rte_exit(EXIT_FAILURE, "no mbuf pool\n");
	if (only != NULL) {
		/* one driver, one path: for callgrind's instruction counts */
		const struct fp_driver *drv =
			strcmp(only, "upstream") == 0 ? &fp_upstream :
			strcmp(only, "mlx4r") == 0 ? &fp_mlx4r : NULL;

		if (drv == NULL || path == NULL ||
		    (strcmp(path, "rx") != 0 && strcmp(path, "tx") != 0))
			rte_exit(EXIT_FAILURE, "--only upstream|mlx4r needs --path rx|tx\n");
		fp_case_init(&cases[0], drv);
		if (strcmp(path, "rx") == 0)
			fp_run_rx(&cases[0], iters);
		else
			fp_run_tx(&cases[0], iters);
		printf("fp-bench: %s %s: %u packets\n", drv->name, path,
		       iters * fp_burst);
		fp_case_fini(&cases[0]);
		rte_eal_cleanup();
		return 0;
	}
	for (d = 0; d < nd; d++) {
		fp_case_init(&cases[d], drivers[d]);
		/* warm the rings, the pool cache and the branch predictors */
		fp_run_rx(&cases[d], 2000);
		fp_run_tx(&cases[d], 2000);
	}
	printf("fast path, cycles/packet (%u-packet bursts of %u B, %u bursts per round)\n",
	       fp_burst, FP_LEN, iters);
	printf("round  up-rx  mlx4r-rx  ratio   up-tx  mlx4r-tx  ratio\n");
	for (r = 0; r < rounds; r++) {
		double pk = (double)iters * fp_burst;

		for (d = 0; d < nd; d++) {
			/* alternate the order, so neither always runs first */
			unsigned int k = (r & 1) ? nd - 1 - d : d;

			rx[k][r] = fp_run_rx(&cases[k], iters) / pk;
			tx[k][r] = fp_run_tx(&cases[k], iters) / pk;
		}
		printf("%5u %6.1f %9.1f %6.2f %7.1f %9.1f %6.2f\n", r + 1,
		       rx[0][r], rx[1][r], rx[1][r] / rx[0][r],
		       tx[0][r], tx[1][r], tx[1][r] / tx[0][r]);
	}
	{
		/*
		 * The ratio of each round (both drivers ran in it, under the
		 * same load), then their median: robust to other processes.
		 */
		double rr[64], tr[64], sr[64];
		unsigned int best = 0;

		for (r = 0; r < rounds; r++) {
			if (rx[0][r] + tx[0][r] + rx[1][r] + tx[1][r] <
			    rx[0][best] + tx[0][best] + rx[1][best] +
			    tx[1][best])
				best = r;
			rr[r] = rx[1][r] / rx[0][r];
			tr[r] = tx[1][r] / tx[0][r];
			sr[r] = (rx[1][r] + tx[1][r]) / (rx[0][r] + tx[0][r]);
		}
		printf("median %6.1f %9.1f %6.2f %7.1f %9.1f %6.2f\n",
		       fp_median(rx[0], rounds), fp_median(rx[1], rounds),
		       fp_median(rr, rounds), fp_median(tx[0], rounds),
		       fp_median(tx[1], rounds), fp_median(tr, rounds));
		printf("rx+tx cycles/packet, mlx4r / upstream: median of the rounds' ratios %.2f\n",
		       fp_median(sr, rounds));
		/*
		 * The least disturbed round (fewest cycles of both drivers
		 * together): a floor under load. Before, fp_median() sorted
		 * the arrays in place, and this line printed each driver's
		 * minimum as if they were one round.
		 */
		printf("best round (%u): upstream rx %.1f tx %.1f, mlx4r rx %.1f tx %.1f: rx+tx ratio %.2f\n",
		       best + 1, rx[0][best], tx[0][best], rx[1][best],
		       tx[1][best], (rx[1][best] + tx[1][best]) /
		       (rx[0][best] + tx[0][best]));
	}
	for (d = 0; d < nd; d++)
		fp_case_fini(&cases[d]);
	rte_eal_cleanup();
	return 0;
}
