/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Micro-benchmark of the emulated ConnectX-3's engine paths, in
 * nanoseconds per packet, at 64 and 1500 bytes:
 *   tx engine: a burst of 32 WQEs, doorbell + Tx hook, on a port with no
 *       wire (WQE checks, MR checks, gather, one CQE per burst)
 *   tx+rx loopback: the same frames delivered to the port's own receive
 *       side (steering, RSS hash, scatter, CQE), Rx CQ drained, reposted
 *   rx generator: the Rx hook pumping generator frames into posted WQEs
 *       (frame build, steering, RSS hash, scatter, CQE), drained, reposted
 * It plays the driver as the unit tests do, asserts nothing, and prints
 * what it measured. Usage: emu-bench <EAL args>
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_io.h>

#include "mlx4r_hw.h"
#include "emu/mlx4r_emu.h"

#define BURST 32
#define ROUNDS 20000
#define RING 512

struct bq {
	struct mlx4r_hw_cq *cq;
	struct mlx4dv_cq cdv;
	uint32_t ci;
};

static struct mlx4r_hw_ctx *ctx;
static struct mlx4r_hw_pd *pd;
static struct mlx4r_hw_mr *mr;
static uint8_t *mem;

/* Tx side. */
static struct mlx4r_hw_qp *qp;
static struct mlx4dv_qp qdv;
static struct mlx4r_hw_hook txhook;
static struct bq txcq;
static uint32_t head, tail;

/* Rx side. */
static struct mlx4r_hw_wq *wq;
static struct mlx4dv_rwq wdv;
static struct mlx4r_hw_hook rxhook;
static struct bq rxcq;
static uint32_t rq_pi;

static __rte_noreturn void
die(const char *what, int ret)
{
	fprintf(stderr, "emu-bench: %s: %d\n", what, ret);
	exit(1);
}

static unsigned int
cq_drain(struct bq *q)
{
	unsigned int n = 0;

	for (;;) {
		struct mlx4_cqe *c = (void *)((uint8_t *)q->cdv.buf.buf +
			(size_t)(q->ci & (q->cdv.cqe_cnt - 1)) *
			q->cdv.cqe_size + (q->cdv.cqe_size - 32));

		if (!!(c->owner_sr_opcode & MLX4_CQE_OWNER_MASK) !=
		    !!(q->ci & q->cdv.cqe_cnt))
			break;
		q->ci++;
		n++;
	}
	*q->cdv.set_ci_db = rte_cpu_to_be_32(q->ci & 0xffffff);
	return n;
}

static void
rx_post_all(void)
{
	uint8_t *ring = wdv.buf.buf;
	uint32_t target = rxcq.ci + RING;

	for (; rq_pi != target; rq_pi++) {
		struct mlx4_wqe_data_seg *s = (void *)(ring +
			((size_t)(rq_pi & (RING - 1)) << wdv.rq.wqe_shift));

		s->addr = rte_cpu_to_be_64((uintptr_t)(mem + (1u << 20) +
			(size_t)(rq_pi & (RING - 1)) * 2048));
		s->lkey = rte_cpu_to_be_32(mr->lkey);
		s->byte_count = rte_cpu_to_be_32(2048);
	}
	rte_wmb();
	*wdv.rdb = rte_cpu_to_be_32(rq_pi & 0xffff);
}

static void
tx_burst(uint32_t len)
{
	uint8_t *sq = qdv.buf.buf;
	uint32_t n = qdv.sq.wqe_cnt, i;

	for (i = 0; i < BURST; i++, head++) {
		struct mlx4_wqe_ctrl_seg *c = (void *)(sq +
			(size_t)(head & (n - 1)) * 64);
		struct mlx4_wqe_data_seg *d = (void *)(c + 1);

		d->addr = rte_cpu_to_be_64((uintptr_t)mem);
		d->lkey = rte_cpu_to_be_32(mr->lkey);
		d->byte_count = rte_cpu_to_be_32(len);
		c->fence_size = 2;
		c->srcrb_flags = rte_cpu_to_be_32(MLX4_WQE_CTRL_SOLICIT |
			(i == BURST - 1 ? MLX4_WQE_CTRL_CQ_UPDATE : 0));
		rte_io_wmb();
		c->owner_opcode = rte_cpu_to_be_32(MLX4_OPCODE_SEND |
			((head & n) ? MLX4R_WQE_OWNER_BIT : 0));
	}
	rte_wmb();
	rte_write32(qdv.doorbell_qpn, qdv.sdb);
	mlx4r_hw_hook_call(&txhook);
	if (cq_drain(&txcq) != 0) {
		for (; tail != head; tail++)
			*(uint32_t *)(sq + (size_t)(tail & (n - 1)) * 64) =
				rte_cpu_to_be_32(MLX4R_TXBB_STAMP |
				((tail & n) ? MLX4R_WQE_OWNER_BIT : 0));
	}
}

static void
frame(uint32_t len)
{
	static const uint8_t dst[6] = { 0x00, 0x02, 0xc9, 0, 1, 1 };

	memset(mem, 0, len);
	memcpy(mem, dst, 6);
	mem[6] = 2;
	mem[12] = 0x08;
	mem[14] = 0x45;
	mem[16] = (uint8_t)((len - 14) >> 8);
	mem[17] = (uint8_t)(len - 14);
	mem[22] = 64;
	mem[23] = IPPROTO_UDP;
	mem[26] = 10;
	mem[30] = 10;
	mem[33] = 1;
}

static double
ns_per_pkt(uint64_t cycles, uint64_t pkts)
{
	return (double)cycles * 1e9 / (double)rte_get_timer_hz() /
	       (double)pkts;
}

/* A NORMAL rule on the port's MAC (the generator's and frame()'s). */
static int
mac_rule(struct mlx4r_hw_qp *rss, uint8_t port)
{
	uint64_t buf[(4 + sizeof(struct ibv_flow_attr) +
		      sizeof(struct ibv_flow_spec_eth) + 7) / 8];
	struct ibv_flow_attr *fa = (void *)((uint8_t *)buf + 4);
	struct ibv_flow_spec_eth *eth = (void *)(fa + 1);
	struct mlx4r_hw_flow *fl;

	memset(buf, 0, sizeof(buf));
	fa->type = IBV_FLOW_ATTR_NORMAL;
	fa->size = sizeof(*fa) + sizeof(*eth);
	fa->num_of_specs = 1;
	fa->port = port;
	eth->type = IBV_FLOW_SPEC_ETH;
	eth->size = sizeof(*eth);
	if (mlx4r_hw_port_mac(ctx, port, eth->val.dst_mac) != 0)
		return -1;
	memset(eth->mask.dst_mac, 0xff, 6);
	return mlx4r_hw_create_flow(rss, fa, &fl);
}

int
main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 64, 1500 };
	struct mlx4r_emu_dev *dev;
	struct mlx4r_hw_qp_attr qa;
	struct mlx4r_hw_wq_attr wa;
	struct mlx4r_hw_ind_table *ind;
	struct mlx4r_hw_qp *rss;
	struct mlx4r_hw_flow *fl;
	struct ibv_rx_hash_conf hc;
	struct ibv_flow_attr fa;
	struct ibv_qp_attr a;
	struct mlx4r_emu_gen_conf gc;
	static uint8_t key[40] = { 0x6d, 0x5a, 0x56, 0xda };
	unsigned int s, r;
	uint64_t t0, pkts;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		die("rte_eal_init", ret);
	ret = mlx4r_hw_open_device(mlx4r_hw_backend("emu"), "bench0", &ctx);
	if (ret != 0)
		die("open", ret);
	dev = mlx4r_emu_dev_lookup("bench0");
	mem = aligned_alloc(4096, 4u << 20);
	if (mem == NULL ||
	    mlx4r_hw_alloc_pd(ctx, &pd) != 0 ||
	    mlx4r_hw_reg_mr(pd, mem, 4u << 20, IBV_ACCESS_LOCAL_WRITE,
			    &mr) != 0)
		die("pd/mr", -1);
	/* Tx QP on port 1. */
	if (mlx4r_hw_create_cq(ctx, RING, &txcq.cq) != 0)
		die("tx cq", -1);
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = txcq.cq;
	qa.cap.max_send_wr = RING;
	qa.cap.max_send_sge = 1;
	if (mlx4r_hw_create_qp(pd, &qa, &qp) != 0)
		die("qp", -1);
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	mlx4r_hw_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PORT);
	a.qp_state = IBV_QPS_RTR;
	mlx4r_hw_modify_qp(qp, &a, IBV_QP_STATE);
	a.qp_state = IBV_QPS_RTS;
	mlx4r_hw_modify_qp(qp, &a, IBV_QP_STATE);
	mlx4r_hw_qp_view(qp, &qdv, &txhook);
	mlx4r_hw_cq_view(txcq.cq, &txcq.cdv);
	/* Rx: one WQ behind an RSS QP (IPv4 + UDP), MAC rule. */
	if (mlx4r_hw_create_cq(ctx, RING, &rxcq.cq) != 0)
		die("rx cq", -1);
	memset(&wa, 0, sizeof(wa));
	wa.cq = rxcq.cq;
	wa.max_wr = RING;
	wa.max_sge = 1;
	if (mlx4r_hw_create_wq(pd, &wa, &wq) != 0 ||
	    mlx4r_hw_modify_wq(wq, IBV_WQS_RDY) != 0 ||
	    mlx4r_hw_create_ind_table(ctx, 0, &wq, &ind) != 0)
		die("wq", -1);
	mlx4r_hw_wq_view(wq, &wdv, &rxhook);
	mlx4r_hw_cq_view(rxcq.cq, &rxcq.cdv);
	memset(&hc, 0, sizeof(hc));
	hc.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	hc.rx_hash_key_len = 40;
	hc.rx_hash_key = key;
	hc.rx_hash_fields_mask = IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4 |
		IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP;
	if (mlx4r_hw_create_rss_qp(pd, ind, &hc, &rss) != 0)
		die("rss", -1);
	a.qp_state = IBV_QPS_INIT;
	mlx4r_hw_modify_qp(rss, &a, IBV_QP_STATE | IBV_QP_PORT);
	a.qp_state = IBV_QPS_RTR;
	mlx4r_hw_modify_qp(rss, &a, IBV_QP_STATE);
	memset(&fa, 0, sizeof(fa));
	fa.type = IBV_FLOW_ATTR_ALL_DEFAULT;
	fa.size = sizeof(fa);
	fa.port = 1;
	if (mlx4r_hw_create_flow(rss, &fa, &fl) != 0)
		die("flow", -1);
	/*
	 * As a driver does: the port's netdev up (the port receives nothing
	 * while it is down), and a rule for the port's MAC, which its netdev
	 * takes otherwise (ALL_DEFAULT catches only unmatched frames).
	 */
	if (mlx4r_hw_netdev_set_up(ctx, 1, true) != 0 ||
	    mac_rule(rss, 1) != 0)
		die("netdev/MAC rule", -1);

	printf("emulated ConnectX-3 engine, %u-packet bursts, %s\n", BURST,
	       "ns per packet (TSC; see EAL args for hugepages)");
	printf("%-34s %10s %10s\n", "path", "64 B", "1500 B");
	for (r = 0; r < 3; r++) {
		double res[2];

		for (s = 0; s < 2; s++) {
			frame(sizes[s]);
			if (r == 0) {
				mlx4r_emu_wire_none(dev, 1);
			} else if (r == 1) {
				mlx4r_emu_wire_loopback(dev, 1);
			} else {
				mlx4r_emu_wire_peer(dev, 1);
				memset(&gc, 0, sizeof(gc));
				gc.frame_size = (uint16_t)sizes[s];
				gc.nb_flows = 64;
				gc.burst = BURST;
				mlx4r_emu_gen_start(dev, 1, &gc);
			}
			pkts = 0;
			rx_post_all();
			t0 = rte_get_timer_cycles();
			for (unsigned int i = 0; i < ROUNDS; i++) {
				if (r < 2)
					tx_burst(sizes[s]);
				else
					mlx4r_hw_hook_call(&rxhook);
				if (r > 0) {
					cq_drain(&rxcq);
					rx_post_all();
				}
				pkts += BURST;
			}
			res[s] = ns_per_pkt(rte_get_timer_cycles() - t0, pkts);
			if (r == 2)
				mlx4r_emu_gen_stop(dev, 1);
		}
		printf("%-34s %10.1f %10.1f\n",
		       r == 0 ? "tx engine (validate+gather)" :
		       r == 1 ? "tx+rx loopback (steer,RSS,scatter)" :
				"rx generator pump (build+deliver)",
		       res[0], res[1]);
	}
	{
		struct mlx4r_emu_port_stats st;

		mlx4r_emu_port_stats(dev, 1, &st);
		printf("port 1: tx %" PRIu64 " frames, rx %" PRIu64
		       " frames, rx missed %" PRIu64 ", tx errors %" PRIu64
		       "\n", st.tx_frames, st.rx_frames, st.rx_missed,
		       st.tx_errors);
	}
	mlx4r_hw_close_device(ctx);
	free(mem);
	rte_eal_cleanup();
	return 0;
}
