/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef RESETCOORD_H
#define RESETCOORD_H

/**
 * @file
 * resetcoord: reset coordination for DPDK applications.
 *
 * ethdev leaves all synchronisation around a port reset to the
 * application. resetcoord does it: the application's lcores register as
 * *clients* and declare which (port, Rx queue, Tx queue) they poll; the
 * library registers ethdev event callbacks for the ports it manages
 * (RTE_ETH_EVENT_INTR_RESET, _ERR_RECOVERING, _RECOVERY_SUCCESS,
 * _RECOVERY_FAILED, _INTR_RMV). When a port must reset:
 *
 *  1. the library's control thread marks the reset pending for every
 *     client using the port — one load per loop iteration for an lcore to
 *     notice (resetcoord_client_pending());
 *  2. each such lcore calls resetcoord_client_sync(), which calls the
 *     application's drain callback (flush Tx buffers, free held mbufs),
 *     after which the lcore does not touch the port, and acknowledges on
 *     an rte_ring;
 *  3. the control thread waits for every acknowledgement with a deadline
 *     (late lcores are named in the log and counted), then
 *     - proactive mode (ERR_RECOVERING): waits for RECOVERY_SUCCESS;
 *     - passive mode (INTR_RESET): calls rte_eth_dev_reset() and replays
 *       the port's saved configuration, then starts it;
 *     a request raised during the reset joins it and gets its own answer
 *     (an INTR_RESET during the restore: rte_eth_dev_reset() again);
 *  4. it publishes fresh ops (port, queues, state, generation) that each
 *     lcore takes in resetcoord_client_sync() before it resumes.
 *
 * Failures (RECOVERY_FAILED, removal, the port closed, a failing
 * rte_eth_dev_reset() or restart, a deadline) end with the port in
 * RESETCOORD_PORT_FAILED or RESETCOORD_PORT_REMOVED: lcores resume with ops whose state
 * says so (they must skip the port), and the application's notify
 * callback is told. RECOVERY_FAILED and removal do so in any state, with
 * or without a reset running.
 *
 * The callbacks never block the thread that raised the event (the EAL
 * interrupt thread, or a PMD's control thread): they post to the
 * library's own control thread. resetcoord works with any PMD that raises the
 * standard events; it makes no PMD-specific call.
 *
 * A minimal lcore loop:
 *
 * @code
 * while (!quit) {
 *	if (unlikely(resetcoord_client_pending(c)) && resetcoord_client_sync(c) != 0)
 *		continue;	// the port is off limits for now
 *	const struct resetcoord_ops *o = resetcoord_client_ops(c, 0);
 *	if (o->state != RESETCOORD_PORT_LIVE)
 *		continue;	// failed or removed for good
 *	n = rte_eth_rx_burst(o->port_id, o->rx_queue, pkts, 32);
 *	...
 * }
 * @endcode
 *
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_compat.h>
#include <rte_ethdev.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most clients (lcores) one resetcoord instance coordinates. */
#define RESETCOORD_MAX_CLIENTS 64
/** Most (port, queue) uses one client may declare. */
#define RESETCOORD_MAX_USES 8

/** State of a managed port as clients see it. */
enum resetcoord_port_state {
	RESETCOORD_PORT_LIVE = 0,   /**< usable */
	RESETCOORD_PORT_RESETTING,  /**< a reset is under way: do not touch */
	RESETCOORD_PORT_FAILED,     /**< the reset failed: the port is not usable */
	RESETCOORD_PORT_REMOVED,    /**< the device was removed */
};

/** What the application's notify callback is told. */
enum resetcoord_event {
	RESETCOORD_EVENT_RESET_BEGIN,  /**< a reset of the port began */
	RESETCOORD_EVENT_RESET_DONE,   /**< the port is back; fresh ops published */
	RESETCOORD_EVENT_RESET_FAILED, /**< the reset failed: port FAILED */
	RESETCOORD_EVENT_REMOVED,      /**< the port was removed */
	RESETCOORD_EVENT_LATE_CLIENT,  /**< a client missed the ack deadline */
};

/** The ops of one (port, queue) use, as an lcore must use them. */
struct resetcoord_ops {
	uint16_t port_id;   /**< ethdev port */
	uint16_t rx_queue;  /**< Rx queue to poll */
	uint16_t tx_queue;  /**< Tx queue to send on */
	uint8_t state;      /**< enum resetcoord_port_state */
	/**
	 * 1 when the port was added, +1 by each reset that ended with the
	 * port live (fresh queues): the meaning of mlx4r's generation.
	 */
	uint64_t generation;
};

/**
 * Configuration of a port the library replays after a passive reset
 * (rte_eth_dev_reset() leaves a port with no queues).
 */
struct resetcoord_port_conf {
	struct rte_eth_conf eth_conf; /**< for rte_eth_dev_configure() */
	uint16_t nb_rxq;           /**< Rx queues */
	uint16_t nb_txq;           /**< Tx queues */
	uint16_t nb_rxd;           /**< descriptors per Rx queue */
	uint16_t nb_txd;           /**< descriptors per Tx queue */
	struct rte_mempool *mp;    /**< Rx mempool of every queue */
	uint16_t mtu;              /**< 0: leave the default */
	bool promiscuous;          /**< enable promiscuous mode */
	/**
	 * Optional: replaces the replay above (configure, queues, MTU,
	 * promiscuous, start); 0 on success, -EAGAIN/-EBUSY to be called
	 * again later, other -errno to fail the reset. Called on the
	 * library's control thread, as the notify callback is, with the
	 * same rules.
	 */
	int (*restore)(uint16_t port_id, void *arg);
	void *restore_arg;         /**< passed to restore */
};

/**
 * Called on the library's control thread, without the library's lock
 * held: it may call resetcoord_port_stats_get(), resetcoord_port_add() and the client
 * registration calls; resetcoord_free() of this instance fails there (EDEADLK),
 * and so does resetcoord_client_sync() (-EPERM). It must not block for long: it
 * holds up every port's reset. See "Callback contexts" in the guide.
 */
typedef void (*resetcoord_notify_t)(uint16_t port_id, enum resetcoord_event event,
			     const char *client, void *arg);

/**
 * Called on the lcore when a reset is pending, inside resetcoord_client_sync():
 * flush Tx buffers, free every mbuf held for the port(s). After it
 * returns the lcore must not touch those ports until resetcoord_client_sync()
 * returns 0. From it, resetcoord_client_sync() and resetcoord_client_unregister() of
 * the same client and resetcoord_free() of its instance fail (EBUSY).
 */
typedef void (*resetcoord_drain_t)(void *arg);

/** Creation parameters. */
struct resetcoord_conf {
	const char *name;             /**< for the log and thread name */
	uint32_t ack_timeout_ms;      /**< wait for acks (0: 100 ms) */
	uint32_t recovery_timeout_ms; /**< whole reset (0: 5000 ms) */
	resetcoord_notify_t notify;          /**< may be NULL */
	void *notify_arg;             /**< passed to notify */
};

/** Counters of one managed port. */
struct resetcoord_port_stats {
	uint64_t resets;          /**< resets begun */
	uint64_t resets_ok;       /**< ended with the port back */
	uint64_t resets_failed;   /**< ended with the port FAILED */
	uint64_t late_clients;    /**< acks that missed the deadline */
	uint64_t last_us;         /**< last reset: begin to publish, us */
	uint64_t worst_us;        /**< worst of them, us */
	uint64_t generation;      /**< of the ops published last (1 first) */
	enum resetcoord_port_state state; /**< now */
};

struct resetcoord;
struct resetcoord_client;

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Create an instance and its control thread.
 * @return
 *   The instance, or NULL with rte_errno set: EINVAL (conf NULL),
 *   ENOMEM, or the error of the control thread's creation.
 */
__rte_experimental
struct resetcoord *resetcoord_create(const struct resetcoord_conf *conf);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Unregister the ethdev callbacks, stop the control thread, free the
 * instance. An ethdev callback of the instance running on another thread
 * at the time is waited for; one raised later finds no instance. Clients
 * must not use it afterwards. NULL is a no-op.
 *
 * Not from an ethdev event callback: the control thread may be inside an
 * ethdev call that waits for the thread that raised the event.
 * @return
 *   0; -1 with rte_errno, the instance left as it was: EDEADLK (called
 *   from the instance's notify or restore callback, on its control
 *   thread), EBUSY (called from the drain callback of one of its
 *   clients).
 */
__rte_experimental
int resetcoord_free(struct resetcoord *r);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Manage a port: register the ethdev event callbacks of this port and
 * save the configuration to replay after a passive reset (copied). A port
 * is managed by one instance at most in a process.
 * @return
 *   0; -1 with rte_errno: EINVAL (bad argument or port), EEXIST (already
 *   managed by this instance, or managed by it before and closed since:
 *   manage the new device on that port id with another instance), EBUSY
 *   (managed by another instance), or the errno of
 *   rte_eth_dev_callback_register().
 */
__rte_experimental
int resetcoord_port_add(struct resetcoord *r, uint16_t port_id,
		 const struct resetcoord_port_conf *conf);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Register a client (normally one lcore) and its drain callback.
 * @return
 *   The client, or NULL with rte_errno: EINVAL, ENOSPC (too many).
 */
__rte_experimental
struct resetcoord_client *resetcoord_client_register(struct resetcoord *r, const char *name,
				       resetcoord_drain_t drain, void *arg);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Declare that the client polls Rx queue @p rxq and sends on Tx queue
 * @p txq of a managed port. Call before the client runs.
 * @return
 *   The index of the use (for resetcoord_client_ops()); -1 with rte_errno:
 *   EINVAL (port not managed), ENOSPC (RESETCOORD_MAX_USES), EBUSY (a reset
 *   is under way).
 */
__rte_experimental
int resetcoord_client_use(struct resetcoord_client *c, uint16_t port_id, uint16_t rxq,
		   uint16_t txq);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Remove a client. Its lcore must have stopped using the library.
 * @return 0; -1 with rte_errno: EINVAL, EBUSY (called from the client's
 *   own drain callback).
 */
__rte_experimental
int resetcoord_client_unregister(struct resetcoord_client *c);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * On the client's lcore, once resetcoord_client_pending() said so: drain (the
 * first time for this reset), acknowledge, and take fresh ops if they
 * are published.
 * @return
 *   0: fresh ops are in place, the lcore may go on (check each use's
 *   state); -EAGAIN: the reset is not over, do not touch its ports;
 *   -EBUSY: called from the client's own drain callback; -EPERM: called
 *   on the library's control thread (a notify or restore callback), not
 *   the client's lcore. Neither of the last two drains nor acknowledges.
 */
__rte_experimental
int resetcoord_client_sync(struct resetcoord_client *c);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Counters and state of a managed port.
 * @return 0; -1 with rte_errno EINVAL.
 */
__rte_experimental
int resetcoord_port_stats_get(struct resetcoord *r, uint16_t port_id,
		       struct resetcoord_port_stats *st);

/** @internal Layout of a client, for the inline helpers below. */
struct resetcoord_client {
	/**
	 * Non-zero while a reset concerns this client. Written by the
	 * control thread (release), read by the lcore (acquire) once per
	 * loop iteration.
	 */
	uint32_t pending;
	uint32_t nb_uses;                 /**< ops[] in use */
	struct resetcoord_ops ops[RESETCOORD_MAX_USES]; /**< read by the lcore only */
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Whether a reset waits for this lcore: one load. Call once per loop
 * iteration; if true, call resetcoord_client_sync().
 */
__rte_experimental
static __rte_always_inline bool
resetcoord_client_pending(const struct resetcoord_client *c)
{
	/*
	 * Pairs with the control thread's release stores of pending: seeing
	 * 0 here means the ops published before it are visible.
	 */
	return __atomic_load_n(&c->pending, __ATOMIC_ACQUIRE) != 0;
}

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * The ops of use @p idx (see resetcoord_client_use()). Valid on the client's
 * lcore while resetcoord_client_pending() is false; they change only while the
 * client has acknowledged a reset and not yet resumed.
 */
__rte_experimental
static __rte_always_inline const struct resetcoord_ops *
resetcoord_client_ops(const struct resetcoord_client *c, unsigned int idx)
{
	return &c->ops[idx];
}

#ifdef __cplusplus
}
#endif

#endif /* RESETCOORD_H */
