/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_RESET_H
#define MLX4R_RESET_H

/*
 * The coordinated soft reset of an HCA (mlx4r_reset.c), read by its gate
 * (mlx4r_gate.c), the public calls (mlx4r_pmd_api.c) and telemetry
 * (mlx4r_telemetry.c).
 *
 * Locks, outermost first (ev_lock may be held by the interrupt thread
 * while an LSC callback calls a gated op: nothing takes ev_lock while
 * holding the control lock):
 *  - mlx4r_reset.lock, the *control lock* of the HCA: held by every gated
 *    ethdev op (mlx4r_gate.c) for its whole duration and by the control
 *    thread while it changes the state or touches the device, but never
 *    across a wait: it drops it between two looks at the in-burst
 *    markers (BARRED), while it waits for acknowledgements, while it
 *    removes the interrupt handler and while it opens the device again
 *    (REINIT, dev->ctx NULL meanwhile). Whoever holds it may use dev->ctx,
 *    dev->pd, the ports' device objects.
 *  - mlx4r_reset.rq_lock: the request word, the acknowledgements and the
 *    closing flag; taken by the EAL interrupt thread (async events), by
 *    telemetry, by the ops and by the control thread; never held across
 *    anything that can block.
 *  - mlx4r_dev.ev_lock (spinlock, ports[] against the interrupt thread).
 *  - mlx4r_dev.qp_err_lock (spinlock, the QPs async events said are in
 *    error): a leaf, taken under any of the above, nothing under it.
 * The EAL interrupt thread never takes the control lock: the control
 * thread may therefore unregister the interrupt callback (which spins
 * while the callback runs) without deadlock, as long as it does not hold
 * rq_lock meanwhile.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "mlx4r_compat.h"
#include "mlx4r_core.h"
#include "mlx4r_devargs.h"

struct mlx4r_dev;
struct mlx4r_port;
struct rte_eth_dev;

/** Phases of the reset state machine (ARCHITECTURE.md). */
enum mlx4r_rst_state {
	MLX4R_RST_LIVE,      /**< working */
	MLX4R_RST_BARRED,    /**< datapath barred, quiescence being proven */
	MLX4R_RST_DRAINING,  /**< clients release what they hold, ack */
	MLX4R_RST_RESETTING, /**< device objects destroyed, context closed */
	MLX4R_RST_REINIT,    /**< context reopened, configuration replayed */
	MLX4R_RST_FAILED,    /**< gave up: -EIO until closed */
};

/** How a reset ended. */
enum mlx4r_reset_result {
	MLX4R_RESET_LIVE,      /**< the device is back */
	MLX4R_RESET_FAILED,    /**< recovery gave up */
	MLX4R_RESET_CANCELLED, /**< an operator's reset not carried out */
};

/** One finished reset, for /mlx4r/history. */
struct mlx4r_reset_record {
	uint64_t start_us;   /**< since probe */
	uint64_t duration_us; /**< to LIVE or FAILED */
	uint32_t trigger;    /**< MLX4R_REQ_* bits that started it */
	uint32_t attempts;   /**< attempts made */
	uint32_t generation; /**< generation after it */
	uint32_t late;       /**< clients that missed the deadline */
	uint8_t result;      /**< enum mlx4r_reset_result */
};

#define MLX4R_RESET_HISTORY 16

/** Per-port part of the reset machine. */
struct mlx4r_port_reset {
	uint64_t mbufs_reclaimed; /**< mbufs taken back from its rings */
	uint64_t late;            /**< times it missed the ack deadline */
	bool acked;               /**< passive: dev_reset called */
	bool restart;             /**< proactive: was started, replay it
				    (kept across FAILED) */
};

/** The reset machine of one HCA (dev->reset). */
struct mlx4r_reset {
	pthread_mutex_t lock;     /**< control lock, see the file comment */
	pthread_mutex_t rq_lock;  /**< request word, acks, closing */
	pthread_cond_t rq_cond;   /**< wakes the control thread (rq_lock) */
	pthread_cond_t st_cond;   /**< state changes (lock) */
	mlx4r_thread_t tid;       /**< control thread */
	bool thread_up;           /**< tid is valid and not joined */
	bool free_on_exit;        /**< the thread frees the device (rq_lock) */
	/* rq_lock */
	uint32_t req;             /**< pending MLX4R_REQ_* */
	bool closing;             /**< close/remove: stop at a safe point */
	bool fault_sched_done[MLX4R_FAULT_SCHED_MAX]; /**< fired */
	/** ports an event may still be raised on (cleared by close) */
	struct rte_eth_dev *open_devs[2];
	/**
	 * Threads running a port's event callbacks now: the control
	 * thread and the interrupt thread (LSC), at most.
	 */
	uint8_t nb_raisers[2];
	pthread_t raisers[2][2];  /**< [port][i], i < nb_raisers[port] */
	/* lock; state also read without it (relaxed) by observers */
	enum mlx4r_rst_state state; /**< current phase */
	uint32_t generation;      /**< 1 at probe, +1 per successful reset */
	uint32_t cur_trigger;     /**< MLX4R_REQ_* of the running reset */
	uint64_t probe_ns;        /**< probe time (monotonic) */
	/* counters (lock for writers; readers accept a torn snapshot) */
	uint64_t started;         /**< resets started */
	uint64_t succeeded;       /**< resets that ended LIVE */
	uint64_t failed;          /**< resets that ended FAILED */
	uint64_t cancelled;       /**< operator's resets not carried out */
	uint64_t coalesced;       /**< requests merged into a running reset */
	uint64_t restarts;        /**< attempts restarted (fault during reset) */
	uint64_t late_clients;    /**< clients that missed the deadline */
	uint64_t mbufs_reclaimed; /**< mbufs taken back from rings */
	uint64_t last_us;         /**< duration of the last reset */
	uint64_t worst_us;        /**< longest reset */
	uint64_t quiesce_ns_last; /**< last bar + membarrier + drain wait */
	/** ring of finished resets (lock and rq_lock for writers) */
	struct mlx4r_reset_record hist[MLX4R_RESET_HISTORY];
	uint32_t hist_n;          /**< records written (ring index) */
	struct mlx4r_port_reset port[2]; /**< by port_num - 1 */
	/**
	 * The clients: the ports as the control thread sees them (control
	 * lock); dev->ports[] is the interrupt thread's view (ev_lock).
	 */
	struct mlx4r_port *ports[2];
};

/* mlx4r_reset.c */
/* The device core's callbacks into the reset machine and the ports. */
extern const struct mlx4r_dev_events mlx4r_reset_dev_events;
void mlx4r_dev_free(struct mlx4r_dev *dev);
void mlx4r_dev_port_closed(struct mlx4r_dev *dev, struct mlx4r_port *port);
int mlx4r_reset_init(struct mlx4r_dev *dev);
bool mlx4r_reset_stop_thread(struct mlx4r_dev *dev);
int mlx4r_reset_reap(const char *name);
void mlx4r_reset_free(struct mlx4r_dev *dev);
void mlx4r_reset_post(struct mlx4r_dev *dev, uint32_t req);
/* For the gate (mlx4r_gate.c), control lock held unless said. */
void mlx4r_port_release_hw(struct mlx4r_dev *dev, struct mlx4r_port *port,
			   bool keep_rx);
void mlx4r_port_drop_kept(struct mlx4r_port *port);
/* No lock held: no event is raised on the closing port from now on. */
void mlx4r_raise_fence(struct mlx4r_reset *rst, struct rte_eth_dev *eth_dev);
const char *mlx4r_reset_state_name(enum mlx4r_rst_state s);
void mlx4r_reset_port_add(struct mlx4r_dev *dev, struct mlx4r_port *port);
void mlx4r_reset_raise(struct mlx4r_dev *dev, struct rte_eth_dev *eth_dev,
			enum rte_eth_event_type ev);
/* Copy the reset history (MLX4R_RESET_HISTORY records); the count. */
uint32_t mlx4r_reset_history(struct mlx4r_dev *dev,
			     struct mlx4r_reset_record *rec);
void mlx4r_reset_lock(struct mlx4r_dev *dev);
void mlx4r_reset_unlock(struct mlx4r_dev *dev);

#endif /* MLX4R_RESET_H */
