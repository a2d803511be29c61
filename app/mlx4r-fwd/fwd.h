/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_FWD_H
#define MLX4R_FWD_H

/*
 * mlx4r-fwd: io forwarding between the ports of emulated (or real)
 * ConnectX-3 HCAs, port i <-> port i ^ 1, over N ports x M lcores, with
 * resets coordinated by the resetcoord library, scheduled faults, a console, a
 * progress line, a timeline and a closing report whose accounting of
 * every generated frame must close.
 *
 * Files:
 *  - fwd_main.c: options, EAL, devices, ports, resetcoord, schedule, teardown
 *  - fwd_lcore.c: the forwarding lcore loop, Tx buffers, drain callback
 *  - fwd_report.c: counters at the end, the accounting, text and JSON
 *  - fwd_console.c: the interactive console (cmdline)
 *  - fwd_timeline.c: per-interval samples, progress line, CSV, plot
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "resetcoord.h"

#define FWD_MAX_PORTS 4        /**< two HCAs of two ports */
#define FWD_MAX_QUEUES 8       /**< Rx/Tx queues per port */
#define FWD_MAX_STREAMS (FWD_MAX_PORTS * FWD_MAX_QUEUES)
#define FWD_MAX_SCHED 32       /**< scheduled faults/resets */
#define FWD_MAX_RESETS 64      /**< resets the report details */
#define FWD_BURST 32           /**< frames per Rx burst */

/** What a schedule entry or a console command does to a port. */
enum fwd_action {
	FWD_ACT_RESET = -1,    /**< rte_pmd_mlx4r_reset() */
	/* >= 0: rte_pmd_mlx4r_inject_fault() with that enum value */
};

/** One scheduled fault or reset. */
struct fwd_sched {
	double at_s;         /**< seconds after forwarding began */
	uint16_t port;       /**< application port index */
	int action;          /**< enum fwd_action or enum rte_pmd_mlx4r_fault */
	uint32_t arg;        /**< argument of the fault */
	bool done;           /**< fired */
	int ret;             /**< what the driver said */
};

/** Options. */
struct fwd_opts {
	uint16_t nb_ports;         /**< 2 or 4 (one or two HCAs) */
	uint16_t nb_queues;        /**< Rx = Tx queues per port */
	uint16_t nb_fwd_lcores;    /**< 0: every worker lcore */
	double duration_s;         /**< forwarding time (0 with -i: until quit) */
	uint32_t interval_ms;      /**< timeline sampling interval */
	bool proactive;            /**< recovery=proactive (else passive) */
	uint32_t attempts;         /**< recovery_attempts (0: driver default) */
	uint64_t rate_pps;         /**< generator rate per port (0: as polled) */
	uint16_t frame_size;       /**< generated frame size */
	uint16_t nb_flows;         /**< generator flows */
	uint32_t nb_mbufs;         /**< mempool size */
	uint16_t nb_rxd;           /**< Rx descriptors */
	uint16_t nb_txd;           /**< Tx descriptors */
	uint32_t ack_timeout_ms;   /**< resetcoord */
	uint32_t recovery_timeout_ms; /**< resetcoord */
	uint32_t drain_ms;         /**< quiet time that ends the final drain */
	char devargs[256];         /**< extra devargs of every HCA */
	struct fwd_sched sched[FWD_MAX_SCHED];
	unsigned int nb_sched;
	bool interactive;          /**< -i */
	int progress;              /**< -1: if stdout is a terminal */
	const char *json_path;
	const char *csv_path;
	const char *plot_path;
};

/**
 * A stream: what one lcore forwards from (rx port, rx queue) to
 * (tx port, tx queue). Counters are written by that lcore only and read
 * by the main lcore (relaxed; the report reads them after the join).
 */
struct fwd_stream {
	uint16_t rx_port;        /**< application port index */
	uint16_t queue;          /**< Rx queue, and Tx queue of the peer */
	uint16_t tx_port;        /**< rx_port ^ 1 */
	uint8_t rx_use;          /**< resetcoord use index of rx_port */
	uint8_t tx_use;          /**< resetcoord use index of tx_port */
	struct rte_eth_dev_tx_buffer *txb; /**< frames held for tx_port */
	uint64_t rx;             /**< frames received */
	uint64_t tx;             /**< frames tx_burst took */
	uint64_t refused;        /**< frames dropped by the app (reset/failure) */
	uint64_t last_rx_tsc;    /**< last non-empty Rx burst */
	uint64_t drain_rx_tsc;   /**< last_rx_tsc when the last reset drained */
	uint64_t first_rx_tsc;   /**< first non-empty Rx burst after a resume */
	bool resumed;            /**< waiting for that first burst */
};

/** A forwarding lcore. */
struct fwd_lcore {
	unsigned int lcore_id;
	struct resetcoord_client *client;
	unsigned int nb_streams;
	struct fwd_stream *streams[FWD_MAX_STREAMS];
	uint64_t syncs;          /**< resets this lcore took part in */
	uint64_t paused_tsc;     /**< time spent waiting in resets */
};

/** One reset of a port as the application saw it (resetcoord notify). */
struct fwd_reset {
	uint16_t port;           /**< application port index */
	double begin_s;          /**< RESET_BEGIN, s since start */
	double end_s;            /**< DONE/FAILED, s since start (<0: open) */
	uint64_t begin_tsc;
	uint64_t end_tsc;
	enum resetcoord_event outcome;  /**< RESET_DONE, _FAILED, REMOVED */
	uint64_t last_rx_before; /**< tsc of the last frame before */
	uint64_t first_rx_after; /**< tsc of the first frame after (0: none) */
	const char *cause;       /**< scheduled action that preceded it */
};

/** An application port. */
struct fwd_port {
	uint16_t port_id;        /**< ethdev port */
	char hca[RTE_DEV_NAME_MAX_LEN]; /**< vdev name */
	uint8_t hw_port;         /**< 1-based port of the HCA */
	struct mlx4r_emu_dev *emu; /**< emulated device, or NULL */
};

/** One timeline sample. */
struct fwd_sample {
	double t_s;
	uint64_t rx[FWD_MAX_PORTS];      /**< cumulative frames received */
	uint64_t tx[FWD_MAX_PORTS];      /**< cumulative frames sent out */
	uint64_t refused[FWD_MAX_PORTS]; /**< cumulative, by rx port */
	uint8_t state[FWD_MAX_PORTS];    /**< enum resetcoord_port_state */
	uint32_t resets;                 /**< resets begun so far */
};

/** The application. */
struct fwd_app {
	struct fwd_opts opt;
	uint16_t nb_ports;
	struct fwd_port ports[FWD_MAX_PORTS];
	struct rte_mempool *mp;
	unsigned int mp_baseline;        /**< free mbufs before the ports */
	unsigned int mp_final;           /**< free mbufs after the ports stopped */
	bool ports_stopped;              /**< mp_final is meaningful */
	bool own_wires;                  /**< we created the HCAs: we cable them */
	struct resetcoord *resetcoord;
	unsigned int nb_lcores;
	struct fwd_lcore *lcores;        /**< nb_lcores */
	unsigned int nb_streams;
	struct fwd_stream *streams;      /**< nb_streams */
	volatile bool stop;              /**< lcores leave their loop */
	volatile bool quit;              /**< console/signal: end the run */
	uint64_t start_tsc;
	uint64_t hz;
	/* resets, written by the resetcoord control thread, read by main */
	rte_spinlock_t lock;
	unsigned int nb_resets;
	struct fwd_reset resets[FWD_MAX_RESETS];
	unsigned int late_clients;
	const char *last_cause[FWD_MAX_PORTS];
	/* timeline */
	struct fwd_sample *samples;
	unsigned int nb_samples;
	unsigned int max_samples;
	bool progress_on;
};

extern struct fwd_app fwd;

/* fwd_lcore.c */
int fwd_lcore_main(void *arg);
void fwd_drain(void *arg);
void fwd_tx_unsent_cb(struct rte_mbuf **pkts, uint16_t unsent, void *arg);
uint64_t fwd_port_rx(const struct fwd_app *a, uint16_t p);
uint64_t fwd_port_tx(const struct fwd_app *a, uint16_t p);
uint64_t fwd_port_refused(const struct fwd_app *a, uint16_t p);

/* fwd_main.c */
double fwd_now_s(void);
int fwd_action_parse(const char *s, int *action);
const char *fwd_action_name(int action);
int fwd_act(uint16_t port, int action, uint32_t arg, const char *cause);
const char *fwd_state_name(enum resetcoord_port_state st);

/* fwd_timeline.c */
int fwd_timeline_init(struct fwd_app *a);
void fwd_timeline_sample(struct fwd_app *a);
void fwd_progress_line(struct fwd_app *a, bool final);
int fwd_timeline_csv(const struct fwd_app *a, const char *path);
int fwd_timeline_plot(const struct fwd_app *a, const char *path);
void fwd_timeline_free(struct fwd_app *a);

/* fwd_report.c */
void fwd_stats_show(struct fwd_app *a, FILE *f);
void fwd_report_collect(struct fwd_app *a);
int fwd_report(struct fwd_app *a, FILE *text, const char *json_path);
void fwd_resets_update(struct fwd_app *a);

/* fwd_console.c */
int fwd_console_init(struct fwd_app *a);
void fwd_console_poll(struct fwd_app *a);
void fwd_console_free(struct fwd_app *a);

#endif /* MLX4R_FWD_H */
