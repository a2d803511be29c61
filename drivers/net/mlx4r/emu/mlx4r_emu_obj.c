/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The emulated ConnectX-3: devices, contexts and the objects of the seam
 * (PD, MR, CQ, QP, WQ, indirection table, flow), their numbers and
 * incarnations, and the async event queue of a context.
 *
 * Every buffer the datapath reads or writes (SQ, RQ, CQ, doorbell records,
 * UAR pages) comes from libc rather than rte_malloc, like rdma-core's own
 * buffers, so that AddressSanitizer sees a datapath that strays out of one.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include <rte_common.h>
#include <rte_byteorder.h>
#include <rte_log.h>
#include <rte_memory.h>
#include <rte_spinlock.h>

#include "mlx4r_emu_priv.h"

#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#endif
#ifdef EMU_ASAN
#include <sanitizer/asan_interface.h>
#define EMU_ASAN_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define EMU_ASAN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define EMU_ASAN_POISON(p, n) RTE_SET_USED(p)
#define EMU_ASAN_UNPOISON(p, n) RTE_SET_USED(p)
#endif

RTE_LOG_REGISTER_SUFFIX(mlx4r_emu_logtype, emu, NOTICE);

static pthread_mutex_t emu_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, emu_dev) emu_registry =
	TAILQ_HEAD_INITIALIZER(emu_registry);
static uint32_t emu_dev_count;

#define EMU_FIRST_QPN 0x48
#define EMU_MAX_LOG_IND 12

static inline struct emu_ctx *
emu_ctx(struct mlx4r_hw_ctx *c)
{
	return container_of(c, struct emu_ctx, hw);
}

static inline struct emu_pd *
emu_pd(struct mlx4r_hw_pd *p)
{
	return container_of(p, struct emu_pd, hw);
}

static inline struct emu_cq *
emu_cq(struct mlx4r_hw_cq *c)
{
	return container_of(c, struct emu_cq, hw);
}

static inline struct emu_qp *
emu_qp(struct mlx4r_hw_qp *q)
{
	return container_of(q, struct emu_qp, hw);
}

static inline struct emu_wq *
emu_wq(struct mlx4r_hw_wq *w)
{
	return container_of(w, struct emu_wq, hw);
}

static void *
emu_zalloc(size_t size, size_t align)
{
	void *p;

	if (posix_memalign(&p, align, RTE_ALIGN_CEIL(size, align)) != 0)
		return NULL;
	memset(p, 0, RTE_ALIGN_CEIL(size, align));
	return p;
}

/*
 * Ring buffers (CQ entries, SQ, RQ) are host memory: the driver's own
 * allocation on a card (libmlx4 mlx4_alloc_buf(), or the allocator the
 * driver hands it through MLX4DV_SET_CTX_ATTR_BUF_ALLOCATORS), which the
 * device only reads and writes through the objects created on it. A
 * device model that frees them at every destroy gives the pages of large
 * ones back to the kernel (glibc unmaps blocks above its mmap threshold)
 * and takes page faults and zeroing again at the next create: the bulk of
 * a reset's time at 16 queues x 4096 descriptors. So a destroyed object's
 * ring goes to a cache of the device, and a create of the same size takes
 * it back, zeroed exactly as a new one (emu_zalloc()): no object sees what
 * an older one left, whatever its incarnation. Under AddressSanitizer a
 * cached buffer is poisoned, so that an engine reading a destroyed
 * object's ring is still caught. dev->lock held for both.
 */
static void *
emu_ring_get(struct emu_dev *dev, size_t size, size_t align)
{
	uint32_t i;
	void *p;

	size = RTE_ALIGN_CEIL(size, align);
	for (i = 0; i < dev->nb_ring_cache; i++) {
		struct emu_ring_buf *b = &dev->ring_cache[i];

		if (b->size != size || b->align != align)
			continue;
		p = b->p;
		*b = dev->ring_cache[--dev->nb_ring_cache];
		dev->ring_cache_bytes -= size;
		dev->rings_reused++;
		EMU_ASAN_UNPOISON(p, size);
		memset(p, 0, size);
		return p;
	}
	p = emu_zalloc(size, align);
	if (p != NULL)
		dev->rings_allocated++;
	return p;
}

static void
emu_ring_put(struct emu_dev *dev, void *p, size_t size, size_t align)
{
	struct emu_ring_buf *b;

	if (p == NULL)
		return;
	size = RTE_ALIGN_CEIL(size, align);
	if (dev->nb_ring_cache == EMU_RING_CACHE_MAX ||
	    dev->ring_cache_bytes + size > EMU_RING_CACHE_BYTES) {
		free(p);
		return;
	}
	b = &dev->ring_cache[dev->nb_ring_cache++];
	b->p = p;
	b->size = size;
	b->align = align;
	dev->ring_cache_bytes += size;
	EMU_ASAN_POISON(p, size);
}

/* The cache's buffers back to libc (the device goes away). */
static void
emu_ring_cache_free(struct emu_dev *dev)
{
	while (dev->nb_ring_cache > 0) {
		struct emu_ring_buf *b = &dev->ring_cache[--dev->nb_ring_cache];

		EMU_ASAN_UNPOISON(b->p, b->size);
		free(b->p);
	}
	dev->ring_cache_bytes = 0;
}

uint64_t
emu_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct emu_dev *
emu_dev_from_ctx(struct mlx4r_hw_ctx *ctx)
{
	return emu_ctx(ctx)->dev;
}

struct emu_port *
emu_dev_port(struct emu_dev *dev, uint8_t port)
{
	if (dev == NULL || port < 1 || port > dev->conf.nb_ports)
		return NULL;
	return &dev->port[port - 1];
}

/*
 * QP numbers: QPs and WQN ranges come from one space, as from mlx4_core's
 * QP bitmap (mlx4_qp_reserve_range(cnt, align)); a range is aligned to
 * its size. Numbers are never reused within a incarnation. dev->lock held.
 */
static uint32_t
emu_qpn_reserve(struct emu_dev *dev, uint32_t cnt)
{
	uint32_t base = RTE_ALIGN_CEIL(dev->next_qpn, cnt);

	dev->next_qpn = base + cnt;
	return base & 0xffffff;
}

/*
 * The kernel netdev of a port, as mlx4_en creates it (en_netdev.c
 * mlx4_en_init_netdev): registered down, MTU ETH_DATA_LEN, no multicast
 * address joined. dev->lock held (or the device not yet listed).
 */
static void
emu_netdev_init(struct emu_port *port)
{
	struct emu_dev *dev = port->dev;

	snprintf(port->nd.name, sizeof(port->nd.name), "emu%u.%u",
		 dev->index % 100000u, port->num);
	port->nd.incarnation = dev->incarnation;
	__atomic_store_n(&port->nd.mtu, EMU_NETDEV_DEFAULT_MTU,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&port->nd.up, false, __ATOMIC_RELAXED);
	/*
	 * Pause on in both directions: mlx4_en's profile default
	 * (en_main.c mlx4_en_get_profile: tx_pause = rx_pause =
	 * !(pfcrx || pfctx), the module parameters being 0).
	 */
	port->nd.rx_pause = true;
	port->nd.tx_pause = true;
	/* the Rx paths read it without rx_lock: emu_nd_flags (engine.c) */
	__atomic_store_n(&port->nd.rx_mode, 0, __ATOMIC_RELAXED);
	rte_spinlock_lock(&port->rx_lock);
	port->nd.nb_mc = 0;
	rte_spinlock_unlock(&port->rx_lock);
}

/* The port's state as ibv_query_port gives it (eth_link_query_port). */
static bool
emu_port_active(const struct emu_port *port)
{
	return __atomic_load_n(&port->link_up, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&port->nd.up, __ATOMIC_RELAXED);
}

/*
 * ip link set up/down. mlx4_ib tells every context when the port's state
 * changes with it (main.c mlx4_ib_scan_netdevs: NETDEV_UP/DOWN ->
 * IB_EVENT_PORT_ACTIVE/ERR). dev->lock held.
 */
static void
emu_netdev_set_up_locked(struct emu_port *port, bool up)
{
	bool before = emu_port_active(port);

	__atomic_store_n(&port->nd.up, up, __ATOMIC_RELAXED);
	if (emu_port_active(port) != before)
		emu_dev_post_event(port->dev, up ? IBV_EVENT_PORT_ACTIVE :
				   IBV_EVENT_PORT_ERR, port->num, 0);
}

/*
 * dev_set_mtu's check (net/core/dev.c dev_validate_mtu: min_mtu ETH_MIN_MTU,
 * max_mtu the port's eth_mtu_cap, en_netdev.c mlx4_en_init_netdev):
 * -EINVAL.
 */
static int
emu_netdev_set_mtu_locked(struct emu_port *port, uint16_t mtu)
{
	if (mtu < EMU_NETDEV_MIN_MTU || mtu > port->dev->conf.max_mtu)
		return -EINVAL;
	__atomic_store_n(&port->nd.mtu, mtu, __ATOMIC_RELAXED);
	return 0;
}

int
mlx4r_emu_netdev_info(struct mlx4r_emu_dev *edev, uint8_t port_num,
		      struct mlx4r_emu_netdev_info *info)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);

	if (port == NULL || info == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	memset(info, 0, sizeof(*info));
	strcpy(info->name, port->nd.name);
	info->up = __atomic_load_n(&port->nd.up, __ATOMIC_RELAXED);
	info->running = emu_port_active(port);
	info->mtu = __atomic_load_n(&port->nd.mtu, __ATOMIC_RELAXED);
	info->nb_mc = port->nd.nb_mc;
	info->rx_pause = port->nd.rx_pause;
	info->tx_pause = port->nd.tx_pause;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
mlx4r_emu_netdev_set_up(struct mlx4r_emu_dev *edev, uint8_t port_num, bool up)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);

	if (port == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	emu_netdev_set_up_locked(port, up);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
mlx4r_emu_netdev_set_mtu(struct mlx4r_emu_dev *edev, uint8_t port_num,
			 uint16_t mtu)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);
	int ret;

	if (port == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	ret = emu_netdev_set_mtu_locked(port, mtu);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int
mlx4r_emu_netdev_mc_add(struct mlx4r_emu_dev *edev, uint8_t port_num,
			const struct rte_ether_addr *mac)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);
	uint32_t i;
	int ret = 0;

	if (port == NULL || mac == NULL || !rte_is_multicast_ether_addr(mac))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	rte_spinlock_lock(&port->rx_lock);
	for (i = 0; i < port->nd.nb_mc; i++)
		if (rte_is_same_ether_addr(&port->nd.mc[i], mac))
			break;
	if (i == port->nd.nb_mc) {
		if (port->nd.nb_mc == EMU_NETDEV_MC)
			ret = -ENOSPC;
		else
			port->nd.mc[port->nd.nb_mc++] = *mac;
	}
	rte_spinlock_unlock(&port->rx_lock);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int
mlx4r_emu_netdev_mc_del(struct mlx4r_emu_dev *edev, uint8_t port_num,
			const struct rte_ether_addr *mac)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);
	uint32_t i;
	int ret = -ENOENT;

	if (port == NULL || mac == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	rte_spinlock_lock(&port->rx_lock);
	for (i = 0; i < port->nd.nb_mc; i++) {
		if (rte_is_same_ether_addr(&port->nd.mc[i], mac)) {
			port->nd.mc[i] = port->nd.mc[--port->nd.nb_mc];
			ret = 0;
			break;
		}
	}
	rte_spinlock_unlock(&port->rx_lock);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int
mlx4r_emu_netdev_set_rx_mode(struct mlx4r_emu_dev *edev, uint8_t port_num,
			     bool promisc, bool allmulti)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);

	if (port == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	/*
	 * Both flags in one store: the reader (engine.c emu_nd_flags, the
	 * Rx paths, per frame, without rx_lock) sees the old pair or the new
	 * one, never one flag changed and not the other. Relaxed is enough:
	 * nothing else is published with it (see emu_nd_flags).
	 */
	__atomic_store_n(&port->nd.rx_mode,
			 (uint8_t)((promisc ? EMU_ND_PROMISC : 0) |
				   (allmulti ? EMU_ND_ALLMULTI : 0)),
			 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
mlx4r_emu_netdev_set_rx(struct mlx4r_emu_dev *edev, uint8_t port_num,
			mlx4r_emu_netdev_rx_t fn, void *arg)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port = emu_dev_port(dev, port_num);

	if (port == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	rte_spinlock_lock(&port->rx_lock);
	port->nd.rx_fn = fn;
	port->nd.rx_arg = arg;
	rte_spinlock_unlock(&port->rx_lock);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/*
 * Devices.
 */

static int
emu_dev_conf_check(struct mlx4r_emu_dev_conf *c, uint32_t index)
{
	unsigned int p;

	if (c->nb_ports == 0)
		c->nb_ports = 2;
	if (c->cqe_size == 0)
		c->cqe_size = 32;
	if (c->max_cqe == 0)
		c->max_cqe = 65536;
	if (c->max_qp_wr == 0)
		c->max_qp_wr = 16384;
	if (c->max_rss_tbl == 0)
		c->max_rss_tbl = 256;
	if (c->speed == 0)
		c->speed = 40000;
	if (c->speed != 10000 && c->speed != 40000 && c->speed != 56000)
		return -EINVAL;
	if (c->max_mtu == 0)
		c->max_mtu = EMU_NETDEV_MAX_MTU;
	if (c->max_mtu < EMU_NETDEV_DEFAULT_MTU ||
	    c->max_mtu > EMU_NETDEV_MAX_MTU)
		return -EINVAL;
	if (c->max_sq_desc_sz == 0)
		c->max_sq_desc_sz = EMU_MAX_SQ_DESC_SZ;
	/* QUERY_DEV_CAP_MAX_GSO_OFFSET: log2 of max_gso_sz (fw.c) */
	if (c->max_gso == 0)
		c->max_gso = EMU_MAX_GSO_DEFAULT;
	if (!rte_is_power_of_2(c->max_gso) || c->max_gso < 1024 ||
	    c->max_gso > EMU_MAX_GSO)
		return -EINVAL;
	if (c->no_tso)
		c->max_gso = 0;
	/*
	 * A send WQE holds at least a control and a data segment, and the
	 * 6-bit DS count of the control segment says at most 63 x 16 bytes.
	 */
	if (c->catas_time_pct == 0)
		c->catas_time_pct = MLX4R_EMU_CATAS_PCT_DEFAULT;
	if (c->nb_ports > EMU_MAX_PORTS ||
	    (c->cqe_size != 32 && c->cqe_size != 64) ||
	    c->catas_time_pct > 1000 ||
	    !rte_is_power_of_2(c->max_rss_tbl) ||
	    c->max_rss_tbl > (1u << EMU_MAX_LOG_IND) ||
	    c->max_qp_wr <= EMU_SQ_MAX_SPARE ||
	    c->max_sq_desc_sz < 32 ||
	    c->max_sq_desc_sz > MLX4R_WQE_DS_MASK * 16)
		return -EINVAL;
	for (p = 0; p < c->nb_ports; p++) {
		if (!rte_is_zero_ether_addr(&c->mac[p]))
			continue;
		c->mac[p] = (struct rte_ether_addr){ .addr_bytes = {
			0x00, 0x02, 0xc9, (uint8_t)(index >> 8),
			(uint8_t)index, (uint8_t)(p + 1) } };
	}
	return 0;
}

static struct emu_dev *
emu_dev_find_locked(const char *name)
{
	struct emu_dev *dev;

	TAILQ_FOREACH(dev, &emu_registry, next)
		if (strcmp(dev->name, name) == 0)
			return dev;
	return NULL;
}

static int
emu_dev_new_locked(const char *name, const struct mlx4r_emu_dev_conf *conf,
		   struct emu_dev **out)
{
	pthread_condattr_t ca;
	struct emu_dev *dev;
	unsigned int i;
	int ret;

	if (name == NULL || strlen(name) >= sizeof(dev->name))
		return -EINVAL;
	if (emu_dev_find_locked(name) != NULL)
		return -EEXIST;
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	if (conf != NULL)
		dev->conf = *conf;
	dev->index = ++emu_dev_count;
	ret = emu_dev_conf_check(&dev->conf, dev->index);
	if (ret != 0) {
		free(dev);
		return ret;
	}
	strcpy(dev->name, name);
	pthread_mutex_init(&dev->lock, NULL);
	/* commands wait for a catastrophic error's detection time */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&dev->catas_cond, &ca);
	pthread_condattr_destroy(&ca);
	dev->incarnation = 1;
	dev->next_qpn = EMU_FIRST_QPN;
	for (i = 0; i < EMU_OBJ_KINDS; i++)
		dev->next_id[i] = 1;
	TAILQ_INIT(&dev->ctxs);
	for (i = 0; i < dev->conf.nb_ports; i++) {
		struct emu_port *port = &dev->port[i];

		port->dev = dev;
		port->num = (uint8_t)(i + 1);
		port->link_up = true;
		port->mac = dev->conf.mac[i];
		rte_spinlock_init(&port->rx_lock);
		rte_spinlock_init(&port->chk_lock);
		emu_netdev_init(port);
		emu_wire_port_init(port);
		if (port->rx_frame == NULL) {
			while (i-- > 0)
				emu_wire_port_fini(&dev->port[i]);
			pthread_cond_destroy(&dev->catas_cond);
			pthread_mutex_destroy(&dev->lock);
			free(dev);
			return -ENOMEM;
		}
	}
	TAILQ_INSERT_TAIL(&emu_registry, dev, next);
	*out = dev;
	return 0;
}

static void emu_mem_event(enum rte_mem_event type, const void *addr,
			  size_t len, void *arg);

static void
emu_mem_cb_register(void)
{
	/*
	 * Best effort: EAL in legacy memory mode (--no-huge, --legacy-mem)
	 * never unmaps its memory and has no callbacks (ENOTSUP).
	 */
	rte_mem_event_callback_register("mlx4r_emu", emu_mem_event, NULL);
}

/*
 * Once per process, never under emu_registry_lock: EAL calls the callback
 * with its callback list's lock held, and the callback takes the registry
 * lock.
 */
static void
emu_mem_cb_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, emu_mem_cb_register);
}

int
mlx4r_emu_dev_create(const char *name, const struct mlx4r_emu_dev_conf *conf)
{
	struct emu_dev *dev;
	int ret;

	emu_mem_cb_once();
	emu_csum_pick();
	pthread_mutex_lock(&emu_registry_lock);
	ret = emu_dev_new_locked(name, conf, &dev);
	pthread_mutex_unlock(&emu_registry_lock);
	return ret;
}

struct mlx4r_emu_dev *
mlx4r_emu_dev_lookup(const char *name)
{
	struct emu_dev *dev;

	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&emu_registry_lock);
	dev = emu_dev_find_locked(name);
	pthread_mutex_unlock(&emu_registry_lock);
	return (struct mlx4r_emu_dev *)dev;
}

struct mlx4r_emu_dev *
mlx4r_emu_dev_get(const char *name)
{
	struct emu_dev *dev;

	if (name == NULL)
		return NULL;
	emu_mem_cb_once();
	emu_csum_pick();
	pthread_mutex_lock(&emu_registry_lock);
	dev = emu_dev_find_locked(name);
	if (dev == NULL && emu_dev_new_locked(name, NULL, &dev) != 0)
		dev = NULL;
	pthread_mutex_unlock(&emu_registry_lock);
	return (struct mlx4r_emu_dev *)dev;
}

int
mlx4r_emu_dev_destroy(const char *name)
{
	struct emu_dev *dev;
	unsigned int i;

	if (name == NULL)
		return -ENOENT;
	pthread_mutex_lock(&emu_registry_lock);
	dev = emu_dev_find_locked(name);
	if (dev == NULL) {
		pthread_mutex_unlock(&emu_registry_lock);
		return -ENOENT;
	}
	pthread_mutex_lock(&dev->lock);
	if (dev->nb_ctx != 0) {
		pthread_mutex_unlock(&dev->lock);
		pthread_mutex_unlock(&emu_registry_lock);
		return -EBUSY;
	}
	/* Unplug cross-connects that point at us from other devices. */
	for (i = 0; i < dev->conf.nb_ports; i++)
		mlx4r_emu_wire_none((struct mlx4r_emu_dev *)dev,
				    (uint8_t)(i + 1));
	TAILQ_REMOVE(&emu_registry, dev, next);
	emu_engine_stop_locked(dev);
	pthread_mutex_unlock(&dev->lock);
	pthread_mutex_unlock(&emu_registry_lock);
	for (i = 0; i < dev->conf.nb_ports; i++)
		emu_wire_port_fini(&dev->port[i]);
	emu_ring_cache_free(dev);
	pthread_cond_destroy(&dev->catas_cond);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
	return 0;
}

int
mlx4r_emu_dev_info(struct mlx4r_emu_dev *edev, struct mlx4r_emu_dev_info *info)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	if (dev == NULL || info == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	emu_catas_advance(dev);
	info->incarnation = dev->incarnation;
	info->fatal = __atomic_load_n(&dev->fatal, __ATOMIC_RELAXED);
	info->catas = dev->catas.phase;
	info->catas_next_ms = 0;
	if (dev->catas.phase != MLX4R_EMU_CATAS_NONE) {
		uint64_t now = emu_mono_ns();
		uint64_t at = dev->catas.phase == MLX4R_EMU_CATAS_DEAD ?
			      dev->catas.detect_ns :
			      dev->catas.phase == MLX4R_EMU_CATAS_ERROR ?
			      dev->catas.gone_ns : dev->catas.back_ns;

		info->catas_next_ms = at > now ?
			(uint32_t)((at - now + 999999) / 1000000) : 0;
	}
	info->nb_contexts = dev->nb_ctx;
	info->nb_objects = dev->nb_objects;
	info->objects_leaked = dev->leaked;
	info->nb_mrs = dev->nb_mrs;
	info->pinned_bytes = dev->pinned_bytes;
	info->mrs_registered = dev->mrs_registered;
	info->mrs_deregistered = dev->mrs_deregistered;
	info->mrs_unmapped = dev->mrs_unmapped;
	info->rings_socket_any = dev->rings_socket_any;
	info->rings_socket_set = dev->rings_socket_set;
	info->rings_reused = dev->rings_reused;
	info->rings_allocated = dev->rings_allocated;
	info->ring_cache_bytes = dev->ring_cache_bytes;
	info->last_ring_socket = dev->last_ring_socket;
	info->async_events = dev->events;
	info->async_acks = dev->acks;
	info->opens = dev->opens;
	info->cq_overruns = __atomic_load_n(&dev->cq_overruns,
					    __ATOMIC_RELAXED);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

struct emu_qp *
emu_dev_find_qp(struct emu_dev *dev, uint32_t qpn)
{
	struct emu_ctx *ctx;
	struct emu_qp *qp;

	TAILQ_FOREACH(ctx, &dev->ctxs, next)
		TAILQ_FOREACH(qp, &ctx->qps, next)
			if (qp->hw.qpn == qpn)
				return qp;
	return NULL;
}

struct emu_wq *
emu_dev_find_wq(struct emu_dev *dev, uint32_t wqn)
{
	struct emu_ctx *ctx;
	struct emu_wq *wq;

	TAILQ_FOREACH(ctx, &dev->ctxs, next)
		TAILQ_FOREACH(wq, &ctx->wqs, next)
			if (wq->hw.wq_num == wqn)
				return wq;
	return NULL;
}

/*
 * Async events.
 *
 * Ready events sit in a ring and are counted by an eventfd (semaphore
 * mode: one read per event); delayed ones wait in a small array with a
 * timerfd armed at the earliest. ctx->hw.async_fd is an epoll fd over both,
 * so it is readable when an event is ready or a delayed one is due.
 */

static void
emu_ev_rearm_locked(struct emu_ctx *ctx)
{
	struct itimerspec its;
	uint64_t next = UINT64_MAX;
	uint32_t i;

	memset(&its, 0, sizeof(its));
	for (i = 0; i < ctx->nb_delayed; i++)
		next = RTE_MIN(next, ctx->delayed[i].due_ns);
	if (ctx->ev_close_ns != 0 && !ctx->ev_closed)
		next = RTE_MIN(next, ctx->ev_close_ns);
	if (next != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(next / 1000000000ull);
		its.it_value.tv_nsec = (long)(next % 1000000000ull);
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(ctx->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
emu_ev_ready_locked(struct emu_ctx *ctx, const struct mlx4r_hw_async_event *ev)
{
	uint64_t one = 1;

	if (ctx->ready_tail - ctx->ready_head >= EMU_EV_RING) {
		ctx->ev_lost++;
		return;
	}
	ctx->ready[ctx->ready_tail++ % EMU_EV_RING] = *ev;
	__atomic_fetch_add(&ctx->dev->events, 1, __ATOMIC_RELAXED);
	if (write(ctx->efd, &one, sizeof(one)) != sizeof(one))
		ctx->ev_lost++;
}

/*
 * The counters of the object @p ev names (a QP or a CQ), or NULL for a
 * port or device event; the emulated device posts QP_FATAL
 * (mlx4r_emu_fault_qp_error()) and CQ_ERR (an overrun), never a WQ event.
 */
static struct emu_ev_count *
emu_ev_count_of(const struct mlx4r_hw_async_event *ev)
{
	switch (mlx4r_hw_event_elem(ev->event_type)) {
	case MLX4R_HW_EV_CQ:
		return ev->element.cq == NULL ? NULL :
		       &emu_cq(ev->element.cq)->evc;
	case MLX4R_HW_EV_QP:
		return ev->element.qp == NULL ? NULL :
		       &emu_qp(ev->element.qp)->evc;
	default:
		return NULL;
	}
}

/*
 * An object is being destroyed: the events naming it that nobody read
 * are dropped, as uverbs drops those of a destroyed uobject
 * (Linux 6.1 uverbs_main.c ib_uverbs_release_uevent(), from
 * uverbs_free_qp() & co), so that no event names a handle whose memory
 * is gone. ev_lock taken here; the caller holds dev->lock, under which
 * nothing can post a new event for the object (it is off the context's
 * lists). @return the events read for it, for emu_ev_wait_acks().
 */
static uint32_t
emu_ctx_forget_events(struct emu_ctx *ctx, const void *element,
		      const struct emu_ev_count *evc)
{
	uint32_t i, w, dropped = 0, nread;
	uint64_t val;

	rte_spinlock_lock(&ctx->ev_lock);
	for (i = w = ctx->ready_head; i != ctx->ready_tail; i++) {
		struct mlx4r_hw_async_event *ev = &ctx->ready[i % EMU_EV_RING];

		if (emu_ev_count_of(ev) != NULL &&
		    (const void *)ev->element.qp == element) {
			dropped++;
			continue;
		}
		if (w != i)
			ctx->ready[w % EMU_EV_RING] = *ev;
		w++;
	}
	ctx->ready_tail = w;
	/* the eventfd is a semaphore: one count per ready event */
	for (i = 0; i < dropped; i++)
		if (read(ctx->efd, &val, sizeof(val)) != sizeof(val))
			EMU_LOG(ERR, "eventfd out of step");
	for (i = 0; i < ctx->nb_delayed; ) {
		const struct mlx4r_hw_async_event *ev = &ctx->delayed[i].ev;

		if (emu_ev_count_of(ev) != NULL &&
		    (const void *)ev->element.qp == element)
			ctx->delayed[i] = ctx->delayed[--ctx->nb_delayed];
		else
			i++;
	}
	nread = evc->read;
	rte_spinlock_unlock(&ctx->ev_lock);
	return nread;
}

/*
 * Wait, without dev->lock, until the driver acknowledged the @p nread
 * events it read naming a destroyed object (emu_ctx_forget_events()),
 * whose memory is freed after: libibverbs' destroy waits for ever
 * (cmd_qp.c ibv_cmd_destroy_qp: pthread_cond_wait until
 * events_completed == events_reported); so does this, saying so after a
 * second. The acquire pairs with the release of emu_ack_async_event():
 * whatever the driver did with the event before acknowledging it is done
 * before the memory goes.
 */
static void
emu_ev_wait_acks(struct emu_dev *dev, struct emu_ev_count *evc, uint32_t nread,
		 const char *what, uint32_t num)
{
	const struct timespec nap = { .tv_nsec = 50000 };
	uint64_t t0 = emu_mono_ns();
	bool said = false;

	while (__atomic_load_n(&evc->acked, __ATOMIC_ACQUIRE) != nread) {
		if (!said && emu_mono_ns() - t0 > 1000000000ull) {
			said = true;
			EMU_LOG(ERR, "%s: destroy of %s 0x%x waits for the acknowledgement of %u async event(s) read for it (ibv_ack_async_event), as libibverbs does, for ever",
				dev->name, what, num,
				nread - __atomic_load_n(&evc->acked,
						       __ATOMIC_RELAXED));
		}
		nanosleep(&nap, NULL);
	}
}

void
emu_ctx_post_event(struct emu_ctx *ctx, enum ibv_event_type type,
		   void *element, int port, uint64_t delay_ns)
{
	struct mlx4r_hw_async_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.event_type = type;
	switch (type) {
	case IBV_EVENT_PORT_ACTIVE:
	case IBV_EVENT_PORT_ERR:
		ev.element.port_num = port;
		break;
	case IBV_EVENT_CQ_ERR:
		ev.element.cq = element;
		break;
	case IBV_EVENT_WQ_FATAL:
		ev.element.wq = element;
		break;
	default:
		ev.element.qp = element;
		break;
	}
	rte_spinlock_lock(&ctx->ev_lock);
	if (delay_ns == 0) {
		emu_ev_ready_locked(ctx, &ev);
	} else if (ctx->nb_delayed < EMU_EV_RING) {
		ctx->delayed[ctx->nb_delayed].due_ns = emu_mono_ns() + delay_ns;
		ctx->delayed[ctx->nb_delayed].ev = ev;
		ctx->nb_delayed++;
		emu_ev_rearm_locked(ctx);
	} else {
		ctx->ev_lost++;
	}
	rte_spinlock_unlock(&ctx->ev_lock);
}

/* Called with dev->lock held. */
void
emu_dev_post_event(struct emu_dev *dev, enum ibv_event_type type, int port,
		   uint64_t delay_ns)
{
	struct emu_ctx *ctx;

	TAILQ_FOREACH(ctx, &dev->ctxs, next)
		emu_ctx_post_event(ctx, type, NULL, port, delay_ns);
}

/*
 * Apply device actions that came due (end of a link flap). Called by the
 * control path and once per hook when timers_pending is set; the flag and
 * the due times are atomics because hooks of any lcore may run this
 * concurrently: the exchange on link_up_due makes exactly one of them apply
 * an action.
 */
void
emu_dev_run_timers(struct emu_dev *dev)
{
	uint64_t now, due;
	bool left = false;
	unsigned int i;

	if (!__atomic_load_n(&dev->timers_pending, __ATOMIC_RELAXED))
		return;
	now = emu_mono_ns();
	for (i = 0; i < dev->conf.nb_ports; i++) {
		due = __atomic_load_n(&dev->link_up_due[i], __ATOMIC_RELAXED);
		if (due == 0)
			continue;
		if (due > now) {
			left = true;
			continue;
		}
		if (__atomic_compare_exchange_n(&dev->link_up_due[i], &due, 0,
						false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			__atomic_store_n(&dev->port[i].link_up, true,
					 __ATOMIC_RELAXED);
	}
	if (!left)
		__atomic_store_n(&dev->timers_pending, false,
				 __ATOMIC_RELAXED);
}

static int
emu_get_async_event(struct mlx4r_hw_ctx *hctx, struct mlx4r_hw_async_event *ev)
{
	struct emu_ctx *ctx = emu_ctx(hctx);
	uint64_t now, val;
	uint32_t i;
	int ret = -EAGAIN;

	emu_dev_run_timers(ctx->dev);
	rte_spinlock_lock(&ctx->ev_lock);
	if (read(ctx->tfd, &val, sizeof(val)) < 0)
		val = 0; /* not expired yet: nothing to drain */
	now = emu_mono_ns();
	for (i = 0; i < ctx->nb_delayed; ) {
		if (ctx->delayed[i].due_ns > now) {
			i++;
			continue;
		}
		emu_ev_ready_locked(ctx, &ctx->delayed[i].ev);
		ctx->delayed[i] = ctx->delayed[--ctx->nb_delayed];
	}
	emu_ctx_ev_close_due(ctx, now);
	emu_ev_rearm_locked(ctx);
	if (ctx->ready_head != ctx->ready_tail) {
		struct emu_ev_count *evc;

		*ev = ctx->ready[ctx->ready_head++ % EMU_EV_RING];
		if (read(ctx->efd, &val, sizeof(val)) != sizeof(val))
			EMU_LOG(ERR, "eventfd out of step");
		/* events_reported of its object: its destroy waits for it */
		evc = emu_ev_count_of(ev);
		if (evc != NULL)
			evc->read++;
		ret = 0;
	} else if (ctx->ev_closed) {
		/* a closed event queue: read() fails with EIO (legacy) */
		ret = -EIO;
	}
	rte_spinlock_unlock(&ctx->ev_lock);
	return ret;
}

static void
emu_ack_async_event(struct mlx4r_hw_ctx *hctx, struct mlx4r_hw_async_event *ev)
{
	struct emu_ev_count *evc = emu_ev_count_of(ev);

	/*
	 * events_completed (libibverbs device.c ibv_ack_async_event()): the
	 * release pairs with the acquire of emu_ev_wait_acks() on a
	 * destroying thread, which frees the object once the count is full.
	 */
	if (evc != NULL)
		__atomic_fetch_add(&evc->acked, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&emu_ctx(hctx)->dev->acks, 1, __ATOMIC_RELAXED);
}

/*
 * Contexts.
 */

static int
emu_open_device(const char *name, struct mlx4r_hw_ctx **out)
{
	struct emu_dev *dev = (struct emu_dev *)mlx4r_emu_dev_get(name);
	struct epoll_event ee;
	struct emu_ctx *ctx;
	unsigned int i;
	int ret;

	if (dev == NULL)
		return -ENODEV;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return -ENOMEM;
	ctx->efd = -1;
	ctx->tfd = -1;
	ctx->hup[0] = -1;
	ctx->hup[1] = -1;
	ctx->hw.async_fd = -1;
	ctx->mrs = calloc(EMU_MR_SLOTS, sizeof(*ctx->mrs));
	ctx->mr_gen = 1; /* 0: an empty emu_mr_cache */
	ctx->efd = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE | EFD_CLOEXEC);
	ctx->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ctx->hw.async_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx->mrs == NULL || ctx->efd < 0 || ctx->tfd < 0 ||
	    ctx->hw.async_fd < 0) {
		ret = ctx->mrs == NULL ? -ENOMEM : -errno;
		goto error;
	}
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	if (epoll_ctl(ctx->hw.async_fd, EPOLL_CTL_ADD, ctx->efd, &ee) != 0 ||
	    epoll_ctl(ctx->hw.async_fd, EPOLL_CTL_ADD, ctx->tfd, &ee) != 0) {
		ret = -errno;
		goto error;
	}
	/* legacy_disassoc: the hang-up that stands for a closed queue */
	if (dev->conf.legacy_disassoc &&
	    (pipe2(ctx->hup, O_CLOEXEC | O_NONBLOCK) != 0 ||
	     epoll_ctl(ctx->hw.async_fd, EPOLL_CTL_ADD, ctx->hup[0], &ee) != 0)) {
		ret = -errno;
		goto error;
	}
	rte_spinlock_init(&ctx->ev_lock);
	TAILQ_INIT(&ctx->pds);
	TAILQ_INIT(&ctx->mrl);
	TAILQ_INIT(&ctx->cqs);
	TAILQ_INIT(&ctx->chs);
	TAILQ_INIT(&ctx->qps);
	TAILQ_INIT(&ctx->wqs);
	TAILQ_INIT(&ctx->inds);
	TAILQ_INIT(&ctx->flows);
	TAILQ_INIT(&ctx->wqn_ranges);
	ctx->dev = dev;
	ctx->hw.ops = &mlx4r_hw_emu_ops;
	ctx->hw.nb_ports = dev->conf.nb_ports;
	ctx->hw.buf_socket = SOCKET_ID_ANY; /* ignored: libc buffers */
	/* PCI device ids of mlx4_core's table: ConnectX-3 PF and VF */
	ctx->hw.vendor_part_id = dev->conf.vf ? MLX4R_PART_CX3_VF :
				 dev->conf.pro ? MLX4R_PART_CX3_PRO :
				 MLX4R_PART_CX3;
	/* mlx4_ib main.c mlx4_ib_query_device: tso_caps from max_gso_sz */
	ctx->hw.max_tso = dev->conf.max_gso;
	ctx->hw.tso_qpts = dev->conf.max_gso != 0 ?
			   1u << IBV_QPT_RAW_PACKET : 0;
	/* Linux mlx4_ib main.c mlx4_ib_query_device (FCS_KEEP) */
	ctx->hw.raw_packet_caps = dev->conf.no_fcs_keep ? 0 :
				  IBV_RAW_PACKET_CAP_SCATTER_FCS;
	strcpy(ctx->hw.name, dev->name);
	/* emu_open_check() may sleep (slow firmware reset fault). */
	pthread_mutex_lock(&dev->lock);
	dev->opens++;
	ret = emu_open_check(dev, ctx);
	if (ret != 0) {
		pthread_mutex_unlock(&dev->lock);
		goto error;
	}
	ctx->hw.incarnation = dev->incarnation;
	/*
	 * A device back from a catastrophic error has new netdevs: mlx4_core
	 * restarts it (catas.c mlx4_handle_error_state, main.c
	 * mlx4_restart_one) and mlx4_en registers its interfaces again,
	 * down, with the default MTU.
	 */
	for (i = 0; i < dev->conf.nb_ports; i++)
		if (dev->port[i].nd.incarnation != dev->incarnation)
			emu_netdev_init(&dev->port[i]);
	TAILQ_INSERT_TAIL(&dev->ctxs, ctx, next);
	dev->nb_ctx++;
	/*
	 * A link flap still running: the port-up event at its end goes to
	 * every context open then, this one included. Linux raises it when
	 * the link comes up (mlx4_ib main.c mlx4_ib_event, PORT_UP ->
	 * ib_dispatch_event) to each handler registered at that moment, one
	 * per open ucontext's async file (uverbs_main.c
	 * ib_uverbs_init_async_event_file registers it,
	 * ib_uverbs_event_handler queues the event). Without this a context
	 * opened during the flap, as a reset does, never hears of the link
	 * again, and a port with LSC interrupts stays down.
	 */
	for (i = 0; i < dev->conf.nb_ports; i++) {
		uint64_t due = __atomic_load_n(&dev->link_up_due[i],
					       __ATOMIC_RELAXED);
		uint64_t now = emu_mono_ns();

		if (due != 0)
			emu_ctx_post_event(ctx, IBV_EVENT_PORT_ACTIVE, NULL,
					   i + 1, due > now ? due - now : 0);
	}
	pthread_mutex_unlock(&dev->lock);
	*out = &ctx->hw;
	return 0;
error:
	if (ctx->hw.async_fd >= 0)
		close(ctx->hw.async_fd);
	if (ctx->efd >= 0)
		close(ctx->efd);
	if (ctx->tfd >= 0)
		close(ctx->tfd);
	if (ctx->hup[0] >= 0)
		close(ctx->hup[0]);
	if (ctx->hup[1] >= 0)
		close(ctx->hup[1]);
	free(ctx->mrs);
	free(ctx);
	return ret;
}

static int emu_destroy_flow_locked(struct emu_flow *flow);
static void emu_destroy_qp_locked(struct emu_qp *qp);
static void emu_destroy_ind_locked(struct emu_ind *ind);
static void emu_destroy_wq_locked(struct emu_wq *wq);
static void emu_destroy_cq_locked(struct emu_cq *cq);
static void emu_dereg_mr_locked(struct emu_mr *mr);
static void emu_dealloc_pd_locked(struct emu_pd *pd);

static int
emu_close_device(struct mlx4r_hw_ctx *hctx)
{
	struct emu_ctx *ctx = emu_ctx(hctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_intr_thread *intr;
	uint64_t leaked = 0;
	struct emu_qp *qp;

	pthread_mutex_lock(&dev->lock);
	/* Destroy what the driver left, in dependency order. */
	while (!TAILQ_EMPTY(&ctx->flows)) {
		emu_destroy_flow_locked(TAILQ_FIRST(&ctx->flows));
		leaked++;
	}
	/* RSS QPs before indirection tables, those before WQs. */
	for (qp = TAILQ_FIRST(&ctx->qps); qp != NULL; ) {
		struct emu_qp *nqp = TAILQ_NEXT(qp, next);

		if (qp->hw.kind == MLX4R_HW_QP_RSS) {
			emu_destroy_qp_locked(qp);
			leaked++;
		}
		qp = nqp;
	}
	while (!TAILQ_EMPTY(&ctx->qps)) {
		emu_destroy_qp_locked(TAILQ_FIRST(&ctx->qps));
		leaked++;
	}
	while (!TAILQ_EMPTY(&ctx->inds)) {
		emu_destroy_ind_locked(TAILQ_FIRST(&ctx->inds));
		leaked++;
	}
	while (!TAILQ_EMPTY(&ctx->wqs)) {
		emu_destroy_wq_locked(TAILQ_FIRST(&ctx->wqs));
		leaked++;
	}
	while (!TAILQ_EMPTY(&ctx->cqs)) {
		emu_destroy_cq_locked(TAILQ_FIRST(&ctx->cqs));
		leaked++;
	}
	while (!TAILQ_EMPTY(&ctx->chs)) {
		emu_ch_destroy_locked(TAILQ_FIRST(&ctx->chs));
		leaked++;
	}
	intr = emu_intr_detach_locked(dev);
	while (!TAILQ_EMPTY(&ctx->mrl)) {
		emu_dereg_mr_locked(TAILQ_FIRST(&ctx->mrl));
		leaked++;
	}
	while (!TAILQ_EMPTY(&ctx->pds)) {
		emu_dealloc_pd_locked(TAILQ_FIRST(&ctx->pds));
		leaked++;
	}
	if (leaked != 0)
		EMU_LOG(INFO, "%s: close destroyed %" PRIu64
			" objects left behind", dev->name, leaked);
	dev->leaked += leaked;
	TAILQ_REMOVE(&dev->ctxs, ctx, next);
	dev->nb_ctx--;
	pthread_mutex_unlock(&dev->lock);
	emu_intr_join(intr);
	close(ctx->hw.async_fd);
	close(ctx->efd);
	close(ctx->tfd);
	if (ctx->hup[0] >= 0)
		close(ctx->hup[0]);
	if (ctx->hup[1] >= 0)
		close(ctx->hup[1]);
	free(ctx->mrs);
	free(ctx);
	return 0;
}

static int
emu_query_device(struct mlx4r_hw_ctx *hctx, struct ibv_device_attr *attr)
{
	struct emu_ctx *ctx = emu_ctx(hctx);
	struct emu_dev *dev = ctx->dev;
	int ret;

	pthread_mutex_lock(&dev->lock);
	/* the kernel's copy of the attributes, no firmware command */
	ret = emu_sw_check(ctx, MLX4R_EMU_OP_QUERY);
	if (ret == 0) {
		memset(attr, 0, sizeof(*attr));
		snprintf(attr->fw_ver, sizeof(attr->fw_ver), "2.42.5000");
		attr->node_guid = rte_cpu_to_be_64(0x0002c90300000000ull |
						   dev->index);
		attr->sys_image_guid = attr->node_guid;
		attr->max_mr_size = UINT64_MAX;
		attr->page_size_cap = 0xfffff000;
		attr->vendor_id = 0x02c9;
		attr->vendor_part_id = ctx->hw.vendor_part_id;
		attr->hw_ver = 1;
		attr->max_qp = 1 << 17;
		/*
		 * mlx4_ib's mlx4_ib_query_device: max_wqes less the most
		 * spare WQEs a SQ may need; max_sge = min(max_sq_sg,
		 * max_rq_sg) (ConnectX-3: 62 and 32).
		 */
		attr->max_qp_wr = (int)(dev->conf.max_qp_wr -
					EMU_SQ_MAX_SPARE);
		attr->max_sge = EMU_MAX_SGE;
		attr->max_cq = 1 << 16;
		attr->max_cqe = (int)dev->conf.max_cqe - 1;
		attr->max_mr = EMU_MR_SLOTS;
		attr->max_pd = 1 << 15;
		attr->phys_port_cnt = dev->conf.nb_ports;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int
emu_query_port(struct mlx4r_hw_ctx *hctx, uint8_t port_num,
	       struct ibv_port_attr *attr)
{
	struct emu_ctx *ctx = emu_ctx(hctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_port *port = emu_dev_port(dev, port_num);
	bool up;
	int ret;

	if (port == NULL)
		return -EINVAL;
	emu_dev_run_timers(dev);
	pthread_mutex_lock(&dev->lock);
	/*
	 * A firmware command on an Ethernet port (mlx4_ib_query_port() ->
	 * eth_link_query_port() -> QUERY_PORT): it sees a catastrophic error,
	 * as query_device does not.
	 */
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_QUERY_PORT);
	if (ret == 0) {
		/*
		 * Linux mlx4_ib main.c eth_link_query_port: ACTIVE only while
		 * the netdev runs (up, carrier); 4x unless at 10 Gb/s, FDR at
		 * 56 Gb/s, QDR otherwise.
		 */
		up = emu_port_active(port);
		memset(attr, 0, sizeof(*attr));
		attr->state = up ? IBV_PORT_ACTIVE : IBV_PORT_DOWN;
		attr->phys_state = up ? 5 : 3; /* LinkUp, Disabled */
		attr->max_mtu = IBV_MTU_4096;
		attr->active_mtu = IBV_MTU_4096;
		attr->gid_tbl_len = 128;
		attr->pkey_tbl_len = 1;
		attr->max_msg_sz = 1u << 30;
		attr->active_width = dev->conf.speed == 10000 ? 1 : 2;
		attr->active_speed = dev->conf.speed == 56000 ? 16 : 4;
		attr->link_layer = IBV_LINK_LAYER_ETHERNET;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int
emu_port_mac(struct mlx4r_hw_ctx *hctx, uint8_t port_num, uint8_t mac[6])
{
	struct emu_port *port = emu_dev_port(emu_ctx(hctx)->dev, port_num);

	if (port == NULL)
		return -EINVAL;
	memcpy(mac, port->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	return 0;
}

static int
emu_port_counters(struct mlx4r_hw_ctx *hctx, uint8_t port_num,
		  struct mlx4r_hw_port_counters *c)
{
	struct emu_port *port = emu_dev_port(emu_ctx(hctx)->dev, port_num);
	struct mlx4r_emu_port_stats st;

	if (port == NULL)
		return -EINVAL;
	mlx4r_emu_port_stats((struct mlx4r_emu_dev *)port->dev, port_num, &st);
	c->rx_missed = st.rx_missed;
	c->rx_dropped = st.rx_dropped;
	c->rx_errors = st.rx_errors + st.rx_oversize;
	c->tx_dropped = st.tx_dropped;
	return 0;
}

/*
 * The seam's netdev ops: the driver's SIOCGIFFLAGS/SIOCSIFFLAGS,
 * SIOCGIFMTU/SIOCSIFMTU and ethtool on mlx4_en's interface. Not firmware
 * commands: they work in a catastrophic error too.
 */
static int
emu_netdev_query(struct mlx4r_hw_ctx *hctx, uint8_t port_num,
		 struct mlx4r_hw_netdev *nd)
{
	struct emu_dev *dev = emu_ctx(hctx)->dev;
	struct emu_port *port = emu_dev_port(dev, port_num);

	if (port == NULL)
		return -EINVAL;
	emu_dev_run_timers(dev);
	pthread_mutex_lock(&dev->lock);
	memset(nd, 0, sizeof(*nd));
	strcpy(nd->name, port->nd.name);
	nd->up = __atomic_load_n(&port->nd.up, __ATOMIC_RELAXED);
	nd->running = emu_port_active(port);
	nd->mtu = __atomic_load_n(&port->nd.mtu, __ATOMIC_RELAXED);
	/* en_ethtool.c mlx4_en_get_link_ksettings: unknown without carrier */
	nd->speed = nd->running ? dev->conf.speed : 0;
	nd->full_duplex = nd->running;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static int
emu_netdev_set_up(struct mlx4r_hw_ctx *hctx, uint8_t port_num, bool up)
{
	return mlx4r_emu_netdev_set_up(
		(struct mlx4r_emu_dev *)emu_ctx(hctx)->dev, port_num, up);
}

static int
emu_netdev_set_mtu(struct mlx4r_hw_ctx *hctx, uint8_t port_num, uint16_t mtu)
{
	return mlx4r_emu_netdev_set_mtu(
		(struct mlx4r_emu_dev *)emu_ctx(hctx)->dev, port_num, mtu);
}

/*
 * ethtool pause parameters, port state of mlx4_en: get reports its
 * profile's rx/tx pause, autoneg never (en_ethtool.c
 * mlx4_en_get_pauseparam); set refuses autoneg with -EINVAL and programs
 * the port (mlx4_en_set_pauseparam: mlx4_SET_PORT_general). Not firmware
 * commands the emulated device fails: the netdev's, as the other ops.
 */
static int
emu_netdev_pause_get(struct mlx4r_hw_ctx *hctx, uint8_t port_num,
		     struct mlx4r_hw_pause *pause)
{
	struct emu_dev *dev = emu_ctx(hctx)->dev;
	struct emu_port *port = emu_dev_port(dev, port_num);

	if (port == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	pause->autoneg = false;
	pause->rx_pause = port->nd.rx_pause;
	pause->tx_pause = port->nd.tx_pause;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static int
emu_netdev_pause_set(struct mlx4r_hw_ctx *hctx, uint8_t port_num,
		     const struct mlx4r_hw_pause *pause)
{
	struct emu_dev *dev = emu_ctx(hctx)->dev;
	struct emu_port *port = emu_dev_port(dev, port_num);

	if (port == NULL)
		return -EINVAL;
	if (pause->autoneg)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	port->nd.rx_pause = pause->rx_pause;
	port->nd.tx_pause = pause->tx_pause;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/*
 * PD and MR.
 */

static int
emu_alloc_pd(struct mlx4r_hw_ctx *hctx, struct mlx4r_hw_pd **out)
{
	struct emu_ctx *ctx = emu_ctx(hctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_pd *pd;
	int ret;

	pthread_mutex_lock(&dev->lock);
	/* a bitmap allocation in mlx4_core, no firmware command */
	ret = emu_sw_check(ctx, MLX4R_EMU_OP_ALLOC_PD);
	if (ret != 0)
		goto out;
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	pd->hw.ctx = hctx;
	pd->hw.pdn = dev->next_id[EMU_OBJ_PD]++;
	TAILQ_INSERT_TAIL(&ctx->pds, pd, next);
	dev->nb_objects++;
	*out = &pd->hw;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static void
emu_dealloc_pd_locked(struct emu_pd *pd)
{
	struct emu_ctx *ctx = emu_ctx(pd->hw.ctx);

	TAILQ_REMOVE(&ctx->pds, pd, next);
	ctx->dev->nb_objects--;
	free(pd);
}

static int
emu_dealloc_pd(struct mlx4r_hw_pd *hpd)
{
	struct emu_pd *pd = emu_pd(hpd);
	struct emu_dev *dev = emu_ctx(hpd->ctx)->dev;
	int ret = -EBUSY;

	pthread_mutex_lock(&dev->lock);
	if (pd->users == 0) {
		emu_dealloc_pd_locked(pd);
		ret = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

#define EMU_ACCESS_KNOWN (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			  IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC | \
			  IBV_ACCESS_RELAXED_ORDERING)
/* Access that makes the pinned pages writable (ib_access_writable()). */
#define EMU_ACCESS_WRITABLE (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			     IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_MW_BIND)

/*
 * Pin [start, end) (page-aligned) as Linux umem.c ib_umem_get() does with
 * pin_user_pages_fast(FOLL_LONGTERM | FOLL_WRITE if writable): every page
 * must be mapped, readable, and writable for a writable MR, otherwise
 * -EFAULT. Read from /proc/self/maps (the emulated device has no page
 * tables to walk). @return 0, -EFAULT, -ENOMEM (maps unreadable).
 */
static int
emu_pin_check(uintptr_t start, uintptr_t end, bool writable)
{
	uintptr_t at = start;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		return -ENOMEM;
	while (at < end && fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		char perm[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3)
			continue;
		if (hi <= at)
			continue;
		if (lo > at)
			break; /* a hole at at */
		if (perm[0] != 'r' || (writable && perm[1] != 'w'))
			break;
		at = hi;
	}
	fclose(f);
	return at >= end ? 0 : -EFAULT;
}

static int
emu_reg_mr(struct mlx4r_hw_pd *hpd, void *addr, size_t length,
	   uint32_t access, struct mlx4r_hw_mr **out)
{
	struct emu_pd *pd = emu_pd(hpd);
	struct emu_ctx *ctx = emu_ctx(hpd->ctx);
	struct emu_dev *dev = ctx->dev;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)addr, pin_start, pin_end;
	struct emu_mr_slot *slot = NULL;
	struct emu_mr *mr;
	uint32_t id = 0, tries;
	int ret;

	if (addr == NULL || length == 0 || (access & ~EMU_ACCESS_KNOWN))
		return -EINVAL;
	/*
	 * Linux ib_verbs.h ib_check_mr_access(), from uverbs_cmd.c
	 * ib_uverbs_reg_mr(): remote write or atomic needs local write.
	 */
	if ((access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IBV_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	/* umem.c ib_umem_get(): a range that wraps, or its page end does */
	if (start + length < start ||
	    RTE_ALIGN_CEIL(start + length, page) < start + length)
		return -EINVAL;
	pin_start = RTE_ALIGN_FLOOR(start, page);
	pin_end = RTE_ALIGN_CEIL(start + length, page);
	ret = emu_pin_check(pin_start, pin_end,
			    (access & EMU_ACCESS_WRITABLE) != 0);
	if (ret != 0)
		return ret;
	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_REG_MR);
	if (ret != 0)
		goto out;
	/* MR numbers only grow; skip those whose table slot is taken. */
	for (tries = 0; tries < EMU_MR_SLOTS; tries++) {
		id = dev->next_id[EMU_OBJ_MR]++ & 0xffffff;
		slot = &ctx->mrs[id % EMU_MR_SLOTS];
		if (id != 0 && slot->lkey == 0)
			break;
		slot = NULL;
	}
	mr = calloc(1, sizeof(*mr));
	if (slot == NULL || mr == NULL) {
		free(mr);
		ret = -ENOMEM;
		goto out;
	}
	mr->hw.pd = hpd;
	mr->hw.addr = addr;
	mr->hw.length = length;
	mr->hw.access = access;
	/* Low byte never 0x00 (MLX4_INVALID_LKEY is 0x100). */
	mr->hw.lkey = (id << 8) | 0x80 | (dev->incarnation & 0x7f);
	mr->slot = id % EMU_MR_SLOTS;
	mr->pin_start = pin_start;
	mr->pin_end = pin_end;
	slot->addr = (uintptr_t)addr;
	slot->len = length;
	slot->access = access;
	slot->pdn = hpd->pdn;
	__atomic_store_n(&slot->unmapped, 0, __ATOMIC_RELAXED);
	/*
	 * Publish: the engine (any lcore) loads lkey with acquire before it
	 * reads the other fields, so it sees them complete.
	 */
	__atomic_store_n(&slot->lkey, mr->hw.lkey, __ATOMIC_RELEASE);
	pd->users++;
	TAILQ_INSERT_TAIL(&ctx->mrl, mr, next);
	dev->nb_objects++;
	dev->nb_mrs++;
	dev->pinned_bytes += pin_end - pin_start;
	dev->mrs_registered++;
	*out = &mr->hw;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static void
emu_dereg_mr_locked(struct emu_mr *mr)
{
	struct emu_ctx *ctx = emu_ctx(mr->hw.pd->ctx);
	struct emu_dev *dev = ctx->dev;

	/*
	 * Engines check lkey again after reading the fields: a WQE still
	 * naming this key fails from now on (a local protection error), as
	 * on the card once the MPT is back in software ownership.
	 */
	__atomic_store_n(&ctx->mrs[mr->slot].lkey, 0, __ATOMIC_RELEASE);
	/*
	 * Then the engines' cached lkeys are stale: pairs with the acquire
	 * load of mr_gen in emu_mr_check_cached(), which reads the slot
	 * after it, so an engine that sees the new generation sees lkey 0.
	 */
	__atomic_fetch_add(&ctx->mr_gen, 1, __ATOMIC_RELEASE);
	emu_pd(mr->hw.pd)->users--;
	TAILQ_REMOVE(&ctx->mrl, mr, next);
	dev->nb_objects--;
	dev->nb_mrs--;
	dev->pinned_bytes -= mr->pin_end - mr->pin_start;
	dev->mrs_deregistered++;
	if (mr->unmapped)
		dev->mrs_unmapped--;
	free(mr);
}

static int
emu_dereg_mr(struct mlx4r_hw_mr *hmr)
{
	struct emu_dev *dev = emu_ctx(hmr->pd->ctx)->dev;

	pthread_mutex_lock(&dev->lock);
	emu_dereg_mr_locked(container_of(hmr, struct emu_mr, hw));
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/*
 * rte_mem_event callback: the process is about to unmap [addr, addr +
 * len) (RTE_MEM_EVENT_FREE, lib/eal/common/malloc_heap.c). The MRs that
 * pinned any of those pages keep pinning the old pages, which the process
 * will not see at these addresses again: their lkeys fail from now on
 * (emu_mr_check()). Called with EAL's memory hotplug lock held; takes
 * the registry lock then each device's lock, as dev_destroy does, and no
 * emulated device path allocates DPDK memory under them (libc only).
 */
static void
emu_mem_event(enum rte_mem_event type, const void *addr, size_t len,
	      void *arg)
{
	uintptr_t start = (uintptr_t)addr, end = start + len;
	struct emu_dev *dev;
	struct emu_ctx *ctx;
	struct emu_mr *mr;

	RTE_SET_USED(arg);
	if (type != RTE_MEM_EVENT_FREE)
		return;
	pthread_mutex_lock(&emu_registry_lock);
	TAILQ_FOREACH(dev, &emu_registry, next) {
		pthread_mutex_lock(&dev->lock);
		TAILQ_FOREACH(ctx, &dev->ctxs, next) {
			TAILQ_FOREACH(mr, &ctx->mrl, next) {
				if (mr->unmapped || mr->pin_start >= end ||
				    start >= mr->pin_end)
					continue;
				mr->unmapped = true;
				dev->mrs_unmapped++;
				/* pairs with the acquire of emu_mr_check() */
				__atomic_store_n(&ctx->mrs[mr->slot].unmapped,
						 1, __ATOMIC_RELEASE);
				/* as in emu_dereg_mr_locked() */
				__atomic_fetch_add(&ctx->mr_gen, 1,
						   __ATOMIC_RELEASE);
				EMU_LOG(DEBUG, "%s: memory of MR 0x%x unmapped while registered: its lkey fails from now on",
					dev->name, mr->hw.lkey);
			}
		}
		pthread_mutex_unlock(&dev->lock);
	}
	pthread_mutex_unlock(&emu_registry_lock);
}

int
mlx4r_emu_mr_pinning(struct mlx4r_emu_dev *edev, const void *addr,
		     size_t len)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	uintptr_t start = (uintptr_t)addr, end = start + len;
	struct emu_ctx *ctx;
	struct emu_mr *mr;
	int n = 0;

	if (dev == NULL || addr == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	TAILQ_FOREACH(ctx, &dev->ctxs, next)
		TAILQ_FOREACH(mr, &ctx->mrl, next)
			if (mr->pin_start < end && start < mr->pin_end)
				n++;
	pthread_mutex_unlock(&dev->lock);
	return n;
}

/*
 * The node the driver asked for the rings of an object it creates
 * (mlx4r_hw_ctx.buf_socket; the verbs backend allocates there, this model
 * keeps libc buffers): counted, for tests. dev->lock held.
 */
static void
emu_ring_socket(struct emu_dev *dev, const struct mlx4r_hw_ctx *hctx)
{
	if (hctx->buf_socket == SOCKET_ID_ANY) {
		dev->rings_socket_any++;
	} else {
		dev->rings_socket_set++;
		dev->last_ring_socket = hctx->buf_socket;
	}
}

/*
 * CQ.
 */

/* A CQ, its events on @p ch (NULL: none; mlx4r_emu_intr.c). */
int
emu_cq_alloc(struct mlx4r_hw_ctx *hctx, uint32_t cqe, struct emu_ch *ch,
	     struct mlx4r_hw_cq **out)
{
	struct emu_ctx *ctx = emu_ctx(hctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_cq *cq;
	uint32_t i, cnt;
	int ret;

	if (cqe == 0 || cqe >= dev->conf.max_cqe)
		return -EINVAL;
	/* uverbs_cmd.c create_cq(): the channel is one of the context's */
	if (ch != NULL && ch->hw.ctx != hctx)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_CREATE_CQ);
	if (ret != 0)
		goto out;
	cnt = rte_align32pow2(cqe + 1);
	cq = calloc(1, sizeof(*cq));
	if (cq != NULL && ctx->umem.set) {
		/* the kernel face: libmlx4's buffer, initialised by mlx4_core */
		cq->cqe_size = dev->conf.cqe_size;
		cq->buf = ctx->umem.buf;
		cq->db = ctx->umem.db;
		cq->umem = true;
	} else if (cq != NULL) {
		cq->cqe_size = dev->conf.cqe_size;
		cq->buf = emu_ring_get(dev, (size_t)cnt * cq->cqe_size, 4096);
		cq->db = emu_zalloc(64, 64);
	}
	if (cq == NULL || cq->buf == NULL || cq->db == NULL) {
		if (cq != NULL && !cq->umem) {
			emu_ring_put(dev, cq->buf, (size_t)cnt * cq->cqe_size,
				     4096);
			free(cq->db);
		}
		free(cq);
		ret = -ENOMEM;
		goto out;
	}
	cq->cnt = cnt;
	/* Every entry starts hardware-owned: owner bit 1 for pass 0. */
	for (i = 0; i < cnt && !cq->umem; i++) {
		struct mlx4_cqe *e = (struct mlx4_cqe *)(cq->buf +
			(size_t)i * cq->cqe_size + (cq->cqe_size - 32));

		e->owner_sr_opcode = MLX4_CQE_OWNER_MASK;
	}
	cq->hw.ctx = hctx;
	cq->ch = ch;
	cq->fired_sn = UINT8_MAX; /* no event yet: any first arm counts */
	if (ch != NULL)
		ch->users++;
	cq->hw.cqn = dev->next_id[EMU_OBJ_CQ]++ & 0xffffff;
	cq->hw.cqe = cnt - 1;
	TAILQ_INSERT_TAIL(&ctx->cqs, cq, next);
	emu_ring_socket(dev, hctx);
	dev->nb_objects++;
	*out = &cq->hw;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int
emu_create_cq(struct mlx4r_hw_ctx *hctx, uint32_t cqe,
	      struct mlx4r_hw_cq **out)
{
	return emu_cq_alloc(hctx, cqe, NULL, out);
}

static void
emu_cq_unlink_locked(struct emu_cq *cq)
{
	struct emu_ctx *ctx = emu_ctx(cq->hw.ctx);

	if (cq->ch != NULL)
		emu_cq_unbind_locked(cq, true);
	TAILQ_REMOVE(&ctx->cqs, cq, next);
	ctx->dev->nb_objects--;
}

/* Its memory, once off the lists (dev->lock held). */
static void
emu_cq_free_locked(struct emu_cq *cq)
{
	struct emu_ctx *ctx = emu_ctx(cq->hw.ctx);

	if (!cq->umem) {
		emu_ring_put(ctx->dev, cq->buf, (size_t)cq->cnt * cq->cqe_size,
			     4096);
		free(cq->db);
	}
	free(cq);
}

/* At the close of its context: no event is read any more. */
static void
emu_destroy_cq_locked(struct emu_cq *cq)
{
	emu_cq_unlink_locked(cq);
	emu_cq_free_locked(cq);
}

static int
emu_destroy_cq(struct mlx4r_hw_cq *hcq)
{
	struct emu_cq *cq = emu_cq(hcq);
	struct emu_ctx *ctx = emu_ctx(hcq->ctx);
	struct emu_dev *dev = ctx->dev;
	uint32_t nread;

	pthread_mutex_lock(&dev->lock);
	if (cq->user || (cq->ch != NULL && emu_cq_unbind_locked(cq, false) != 0)) {
		pthread_mutex_unlock(&dev->lock);
		return -EBUSY;
	}
	emu_cq_unlink_locked(cq);
	nread = emu_ctx_forget_events(ctx, hcq, &cq->evc);
	pthread_mutex_unlock(&dev->lock);
	emu_ev_wait_acks(dev, &cq->evc, nread, "CQ", hcq->cqn);
	pthread_mutex_lock(&dev->lock);
	emu_cq_free_locked(cq);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static int
emu_cq_view(struct mlx4r_hw_cq *hcq, struct mlx4dv_cq *dv)
{
	struct emu_cq *cq = emu_cq(hcq);

	memset(dv, 0, sizeof(*dv));
	dv->buf.buf = cq->buf;
	dv->buf.length = (size_t)cq->cnt * cq->cqe_size;
	dv->cqe_cnt = cq->cnt;
	dv->cqn = hcq->cqn;
	dv->set_ci_db = (__be32 *)&cq->db[0];
	dv->arm_db = (__be32 *)&cq->db[1];
	dv->cqe_size = (int)cq->cqe_size;
	/* libmlx4 verbs.c mlx4_create_cq_ex: arm_sn starts at 1 */
	dv->arm_sn = 1;
	/* Arming writes land in the CQ's own record page, never used. */
	dv->cq_uar = &cq->db[2];
	dv->comp_mask = MLX4DV_CQ_MASK_UAR;
	return 0;
}

/*
 * QPs.
 */

static struct emu_qp *
emu_qp_alloc(struct emu_ctx *ctx, struct emu_pd *pd,
	     enum mlx4r_hw_qp_kind kind)
{
	struct emu_qp *qp = calloc(1, sizeof(*qp));

	if (qp == NULL)
		return NULL;
	qp->ctx = ctx;
	qp->pd = pd;
	rte_spinlock_init(&qp->lock);
	qp->hw.ctx = &ctx->hw;
	qp->hw.kind = kind;
	qp->hw.state = IBV_QPS_RESET;
	qp->state = IBV_QPS_RESET;
	return qp;
}

/* The SQ buffer of a raw QP: the SQ, then the dummy RQ's 16 bytes. */
static size_t
emu_sq_buf_size(size_t sq_bytes)
{
	return RTE_ALIGN_CEIL(sq_bytes + 16, 4096);
}

/* Bytes of a QP's frame buffer and of an RSS QP's hash table. */
#define EMU_QP_FRAME_SIZE (MLX4R_EMU_MAX_FRAME + EMU_TX_GROWTH)
#define EMU_RSS_TBL_SIZE (sizeof(uint32_t) * 256 * EMU_RSS_INPUT_MAX)

/*
 * dev->lock held. The QP's other buffers go to the cache too: freed, the
 * control thread's malloc arena would trim them back to the kernel at
 * every reset (madvise, with a TLB shootdown to every CPU).
 */
static void
emu_qp_free(struct emu_qp *qp)
{
	struct emu_dev *dev = qp->ctx->dev;

	if (!qp->umem)
		emu_ring_put(dev, qp->sq,
			     emu_sq_buf_size((size_t)qp->txbbs << qp->shift),
			     4096);
	emu_ring_put(dev, qp->uar, 4096, 4096);
	emu_ring_put(dev, qp->frame, EMU_QP_FRAME_SIZE, 64);
	emu_ring_put(dev, qp->rss_tbl, EMU_RSS_TBL_SIZE, 64);
	free(qp);
}

/* Smallest power of two >= n (n >= 1), as rdma-core's roundup_pow_of_two. */
static uint64_t
emu_pow2_ge(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * What libmlx4 (rdma-core 44) asks the kernel for when ibv_create_qp()
 * creates a RAW_PACKET QP with these capabilities:
 *  - verbs.c create_qp_ex: max_send_wr above query_device's max_qp_wr or
 *    max_send_sge above its max_sge fail with EINVAL (and max_inline_data
 *    above 1024);
 *  - qp.c mlx4_calc_sq_wqe_size: a WQE is max_send_sge data segments (at
 *    least a bind segment, 32 bytes) plus the 16-byte control segment;
 *    the stride is the smallest power of two >= that size, at least 64;
 *  - verbs.c create_qp_ex: sq_spare_wqes = (2048 >> wqe_shift) + 1 (the
 *    "2 KB + 1 WQE of headroom in the SQ to allow HW to prefetch") and
 *    wqe_cnt = roundup_pow_of_two(max_send_wr + spare);
 *  - qp.c mlx4_set_sq_sizes: grants max_send_sge = (stride - 16) / 16,
 *    max_send_wr = wqe_cnt - spare, and the inline room of a stride.
 * Inline data is not asked for (the engine does not run inline sends).
 */
int
emu_libmlx4_sq_geom(const struct emu_dev *dev, const struct ibv_qp_cap *cap,
		    struct emu_sq_geom *g)
{
	const uint32_t max_qp_wr = dev->conf.max_qp_wr - EMU_SQ_MAX_SPARE;
	uint32_t size, wqe_size;
	uint64_t cnt;

	if (cap->max_send_wr > max_qp_wr || cap->max_recv_wr > max_qp_wr ||
	    cap->max_send_sge > EMU_MAX_SGE ||
	    cap->max_recv_sge > EMU_MAX_SGE ||
	    cap->max_inline_data > 1024)
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	size = cap->max_send_sge * (uint32_t)sizeof(struct mlx4_wqe_data_seg);
	size = RTE_MAX(size, (uint32_t)sizeof(struct mlx4_wqe_bind_seg));
	size += sizeof(struct mlx4_wqe_ctrl_seg);
	for (g->log_stride = EMU_SQ_MIN_STRIDE; (1u << g->log_stride) < size;
	     g->log_stride++)
		;
	g->spare = EMU_SQ_HEADROOM(g->log_stride);
	cnt = emu_pow2_ge((uint64_t)cap->max_send_wr + g->spare);
	g->wqe_cnt = (uint32_t)cnt;
	for (g->log_bb_count = 0; (1ull << g->log_bb_count) < cnt;
	     g->log_bb_count++)
		;
	wqe_size = (1u << g->log_stride) - sizeof(struct mlx4_wqe_ctrl_seg);
	g->max_gs = wqe_size / sizeof(struct mlx4_wqe_data_seg);
	g->max_post = g->wqe_cnt - g->spare;
	g->max_inline = wqe_size - sizeof(struct mlx4_wqe_inline_seg) *
			(RTE_ALIGN_CEIL(wqe_size, 64) / 64);
	return 0;
}

/*
 * What mlx4_ib (Linux 6.1 drivers/infiniband/hw/mlx4/qp.c
 * set_user_sq_size) accepts for the SQ of a user QP: 1 << log_bb_count
 * WQEs, no more than the firmware's max_wqes (and no shift overflow);
 * a stride of 1 << log_stride bytes, at least MLX4_IB_MIN_SQ_STRIDE (64
 * bytes) and at most max_sq_desc_sz rounded up to a power of two. The
 * SQ takes wqe_cnt << stride bytes of the QP buffer.
 */
int
emu_kernel_sq_check(const struct emu_dev *dev, uint32_t log_bb_count,
		    uint32_t log_stride, size_t *sq_bytes)
{
	uint32_t max_stride = rte_log2_u32(rte_align32pow2(
					dev->conf.max_sq_desc_sz));

	if (log_bb_count >= 31 || (1u << log_bb_count) > dev->conf.max_qp_wr)
		return -EINVAL;
	if (log_stride > max_stride || log_stride < EMU_SQ_MIN_STRIDE)
		return -EINVAL;
	*sq_bytes = (size_t)1 << (log_bb_count + log_stride);
	return 0;
}

static int
emu_create_qp(struct mlx4r_hw_pd *hpd, struct mlx4r_hw_qp_attr *attr,
	      struct mlx4r_hw_qp **out)
{
	struct emu_pd *pd = emu_pd(hpd);
	struct emu_ctx *ctx = emu_ctx(hpd->ctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_sq_geom g;
	struct emu_cq *cq;
	struct emu_qp *qp;
	size_t sq_bytes;
	int ret;

	/*
	 * A send queue only: no receive WRs (libmlx4 then asks the kernel
	 * for a dummy RQ of one 16-byte WQE, which set_rq_size accepts),
	 * no inline data (the engine does not run it), and at least one
	 * WQE asked for.
	 */
	if (attr == NULL || attr->send_cq == NULL ||
	    attr->cap.max_send_wr == 0 || attr->cap.max_inline_data != 0 ||
	    attr->cap.max_recv_wr != 0 || attr->send_cq->ctx != hpd->ctx)
		return -EINVAL;
	cq = emu_cq(attr->send_cq);
	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_CREATE_QP);
	if (ret != 0)
		goto out;
	if (ctx->umem.set) {
		/* the kernel face: the SQ libmlx4 laid out in its buffer */
		memset(&g, 0, sizeof(g));
		g.log_stride = ctx->umem.log_stride;
		g.log_bb_count = ctx->umem.log_bb_count;
		g.wqe_cnt = 1u << RTE_MIN(g.log_bb_count, 30u);
		g.spare = EMU_SQ_HEADROOM(RTE_MIN(g.log_stride, 11u));
		g.max_post = g.wqe_cnt > g.spare ? g.wqe_cnt - g.spare : 0;
		g.max_gs = ((1u << RTE_MIN(g.log_stride, 16u)) - 16) / 16;
		ret = 0;
	} else {
		ret = emu_libmlx4_sq_geom(dev, &attr->cap, &g);
	}
	if (ret == 0)
		ret = emu_kernel_sq_check(dev, g.log_bb_count, g.log_stride,
					  &sq_bytes);
	if (ret != 0)
		goto out;
	if (cq->user) {
		ret = -EINVAL;
		goto out;
	}
	qp = emu_qp_alloc(ctx, pd, MLX4R_HW_QP_RAW_TX);
	if (qp == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	qp->txbbs = g.wqe_cnt;
	qp->shift = g.log_stride;
	/* The SQ, then the dummy RQ (one 16-byte WQE), as libmlx4 lays out */
	if (ctx->umem.set) {
		qp->sq = ctx->umem.buf + ctx->umem.sq_offset;
		qp->umem = true;
	} else {
		qp->sq = emu_ring_get(dev, emu_sq_buf_size(sq_bytes), 4096);
	}
	qp->uar = emu_ring_get(dev, 4096, 4096);
	qp->frame = emu_ring_get(dev, EMU_QP_FRAME_SIZE, 64);
	if (qp->sq == NULL || qp->uar == NULL || qp->frame == NULL) {
		emu_qp_free(qp);
		ret = -ENOMEM;
		goto out;
	}
	qp->spare = g.spare;
	qp->ds_shift = (uint8_t)(g.log_stride - 4);
	qp->ds_round = (uint8_t)((1u << (g.log_stride - 4)) - 1);
	qp->max_ds = dev->conf.max_sq_desc_sz / 16;
	qp->vf = dev->conf.vf;
	qp->cq = cq;
	cq->user = true;
	qp->hw.qpn = emu_qpn_reserve(dev, 1);
	qp->doorbell_qpn = rte_cpu_to_be_32(qp->hw.qpn << 8);
	attr->cap.max_send_wr = g.max_post;
	attr->cap.max_send_sge = g.max_gs;
	attr->cap.max_recv_wr = 1;
	attr->cap.max_recv_sge = 1;
	attr->cap.max_inline_data = 0;
	pd->users++;
	TAILQ_INSERT_TAIL(&ctx->qps, qp, next);
	emu_ring_socket(dev, hpd->ctx);
	dev->nb_objects++;
	if (dev->conf.engine_thread) {
		/* last: the thread may take the QP from here on */
		ret = emu_engine_add_qp(dev, qp);
		if (ret != 0) {
			emu_destroy_qp_locked(qp);
			goto out;
		}
	}
	*out = &qp->hw;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

#define EMU_HASH_KNOWN (IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4 | \
			IBV_RX_HASH_SRC_IPV6 | IBV_RX_HASH_DST_IPV6 | \
			IBV_RX_HASH_SRC_PORT_TCP | IBV_RX_HASH_DST_PORT_TCP | \
			IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP)

static int
emu_create_rss_qp(struct mlx4r_hw_pd *hpd, struct mlx4r_hw_ind_table *hind,
		  const struct ibv_rx_hash_conf *conf,
		  struct mlx4r_hw_qp **out)
{
	struct emu_pd *pd = emu_pd(hpd);
	struct emu_ctx *ctx = emu_ctx(hpd->ctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_ind *ind;
	struct emu_qp *qp;
	int ret;

	if (hind == NULL || conf == NULL || hind->ctx != hpd->ctx ||
	    conf->rx_hash_function != IBV_RX_HASH_FUNC_TOEPLITZ ||
	    conf->rx_hash_key_len != EMU_RSS_KEY_LEN ||
	    conf->rx_hash_key == NULL)
		return -EINVAL;
	if (conf->rx_hash_fields_mask & ~(uint64_t)EMU_HASH_KNOWN)
		return -EOPNOTSUPP;
	ind = container_of(hind, struct emu_ind, hw);
	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_CREATE_QP);
	if (ret != 0)
		goto out;
	qp = emu_qp_alloc(ctx, pd, MLX4R_HW_QP_RSS);
	if (qp != NULL)
		qp->rss_tbl = emu_ring_get(dev, EMU_RSS_TBL_SIZE, 64);
	if (qp == NULL || qp->rss_tbl == NULL) {
		if (qp != NULL)
			emu_qp_free(qp);
		ret = -ENOMEM;
		goto out;
	}
	emu_rss_table_init(qp->rss_tbl, conf->rx_hash_key);
	qp->hash_fields = conf->rx_hash_fields_mask;
	qp->ind = ind;
	ind->users++;
	qp->hw.qpn = emu_qpn_reserve(dev, 1);
	pd->users++;
	TAILQ_INSERT_TAIL(&ctx->qps, qp, next);
	dev->nb_objects++;
	*out = &qp->hw;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static bool
emu_qp_move_ok(enum ibv_qp_state cur, enum ibv_qp_state next)
{
	switch (next) {
	case IBV_QPS_RESET:
	case IBV_QPS_ERR:
		return true;
	case IBV_QPS_INIT:
		return cur == IBV_QPS_RESET || cur == IBV_QPS_INIT;
	case IBV_QPS_RTR:
		return cur == IBV_QPS_INIT;
	case IBV_QPS_RTS:
		return cur == IBV_QPS_RTR || cur == IBV_QPS_RTS;
	default:
		return false;
	}
}

static int
emu_modify_qp(struct mlx4r_hw_qp *hqp, struct ibv_qp_attr *attr,
	      int attr_mask)
{
	struct emu_qp *qp = emu_qp(hqp);
	struct emu_ctx *ctx = qp->ctx;
	struct emu_dev *dev = ctx->dev;
	enum ibv_qp_state cur, next;
	uint8_t port = 0;
	uint32_t i;
	int ret;

	if (attr == NULL || !(attr_mask & IBV_QP_STATE) ||
	    (attr_mask & ~(IBV_QP_STATE | IBV_QP_PORT | IBV_QP_CUR_STATE)))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_MODIFY_QP);
	if (ret != 0)
		goto out;
	rte_spinlock_lock(&qp->lock);
	cur = qp->state;
	rte_spinlock_unlock(&qp->lock);
	next = attr->qp_state;
	ret = -EINVAL;
	if ((attr_mask & IBV_QP_CUR_STATE) && attr->cur_qp_state != cur)
		goto out;
	if (!emu_qp_move_ok(cur, next))
		goto out;
	if (cur == IBV_QPS_RESET && next == IBV_QPS_INIT) {
		if (!(attr_mask & IBV_QP_PORT) ||
		    attr->port_num < 1 || attr->port_num > dev->conf.nb_ports)
			goto out;
		port = attr->port_num;
		if (qp->hw.kind == MLX4R_HW_QP_RSS) {
			/* Every WQ of the table must be free or on port. */
			for (i = 0; i <= qp->ind->mask; i++) {
				uint8_t p = qp->ind->wqs[i]->port;

				if (p != 0 && p != port)
					goto out;
			}
			for (i = 0; i <= qp->ind->mask; i++)
				__atomic_store_n(&qp->ind->wqs[i]->port, port,
						 __ATOMIC_RELEASE);
		}
	} else if ((attr_mask & IBV_QP_PORT) && attr->port_num != qp->port) {
		goto out;
	}
	ret = 0;
	/*
	 * The Tx engine reads state/head/port under qp->lock; the Rx engine
	 * reads an RSS QP's state with an atomic load under its port's
	 * rx_lock (a stale state for one frame is what hardware does too).
	 */
	rte_spinlock_lock(&qp->lock);
	if (next == IBV_QPS_RESET) {
		qp->head = 0;
		qp->freed = 0;
		qp->nb_done = 0;
		qp->done_r = 0;
		qp->hr_done = 0;
		qp->port = 0;
	}
	if (port != 0) {
		qp->port = port;
		if (qp->hw.kind == MLX4R_HW_QP_RAW_TX)
			emu_sq_stamp_all(qp);
	}
	__atomic_store_n(&qp->state, next, __ATOMIC_RELEASE);
	/* libmlx4's CQ clean; qp->lock keeps the Tx engine off meanwhile */
	if (next == IBV_QPS_RESET && qp->hw.kind == MLX4R_HW_QP_RAW_TX)
		emu_cq_libmlx4_clean(qp->cq, hqp->qpn);
	rte_spinlock_unlock(&qp->lock);
	hqp->state = next;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

/*
 * QUERY_QP's state: the engine's copy, which an error CQE or a local
 * catastrophic error moved to ERR (mlx4_ib_query_qp() asks the firmware;
 * a firmware command: EIO on a dead device, an injected command fault).
 */
static int
emu_query_qp_state(struct mlx4r_hw_qp *hqp, enum ibv_qp_state *state)
{
	struct emu_qp *qp = emu_qp(hqp);
	struct emu_dev *dev = qp->ctx->dev;
	int ret;

	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(qp->ctx, MLX4R_EMU_OP_QUERY_QP);
	if (ret == 0) {
		rte_spinlock_lock(&qp->lock);
		*state = qp->state;
		rte_spinlock_unlock(&qp->lock);
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

/* Off the engine thread and the context's lists (dev->lock held). */
static void
emu_qp_unlink_locked(struct emu_qp *qp)
{
	struct emu_ctx *ctx = qp->ctx;

	/* first: back from the engine thread, which then leaves it alone */
	emu_engine_del(ctx->dev, qp->eng_slot);
	if (qp->hw.kind == MLX4R_HW_QP_RAW_TX)
		qp->cq->user = false;
	else
		qp->ind->users--;
	qp->pd->users--;
	TAILQ_REMOVE(&ctx->qps, qp, next);
	ctx->dev->nb_objects--;
}

/* At the close of its context, or a create undone: no event to wait for. */
static void
emu_destroy_qp_locked(struct emu_qp *qp)
{
	emu_qp_unlink_locked(qp);
	emu_qp_free(qp);
}

/*
 * ibv_destroy_qp: the QP goes (no event names it any more, those not read
 * are dropped), then, without dev->lock, the wait for the events read
 * for it to be acknowledged, then its memory.
 */
static int
emu_destroy_qp(struct mlx4r_hw_qp *hqp)
{
	struct emu_qp *qp = emu_qp(hqp);
	struct emu_ctx *ctx = qp->ctx;
	struct emu_dev *dev = ctx->dev;
	uint32_t nread;

	pthread_mutex_lock(&dev->lock);
	if (qp->flows != 0) {
		pthread_mutex_unlock(&dev->lock);
		return -EBUSY;
	}
	emu_qp_unlink_locked(qp);
	nread = emu_ctx_forget_events(ctx, hqp, &qp->evc);
	pthread_mutex_unlock(&dev->lock);
	emu_ev_wait_acks(dev, &qp->evc, nread, "QP", hqp->qpn);
	pthread_mutex_lock(&dev->lock);
	emu_qp_free(qp);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static int
emu_qp_view(struct mlx4r_hw_qp *hqp, struct mlx4dv_qp *dv,
	    struct mlx4r_hw_hook *hook)
{
	struct emu_qp *qp = emu_qp(hqp);

	if (hqp->kind != MLX4R_HW_QP_RAW_TX)
		return -EINVAL;
	memset(dv, 0, sizeof(*dv));
	dv->rdb = (__be32 *)(qp->uar + 0x100); /* no RQ: a spare word */
	dv->sdb = (uint32_t *)(qp->uar + MLX4_SEND_DOORBELL);
	dv->doorbell_qpn = qp->doorbell_qpn;
	/* libmlx4's layout: the SQ first (its stride is the larger), then
	 * the dummy RQ of one 16-byte WQE the kernel requires */
	dv->sq.wqe_cnt = qp->txbbs;
	dv->sq.wqe_shift = (int)qp->shift;
	dv->sq.offset = 0;
	dv->rq.wqe_cnt = 1;
	dv->rq.wqe_shift = 4;
	dv->rq.offset = (int)((size_t)qp->txbbs << qp->shift);
	dv->buf.buf = qp->sq;
	dv->buf.length = ((size_t)qp->txbbs << qp->shift) + 16;
	dv->comp_mask = 0; /* no UAR mmap offset: no secondary process */
	/* the engine thread's QP needs no help, as on hardware */
	hook->fn = qp->eng_slot != 0 ? NULL : emu_tx_hook;
	hook->arg = qp->eng_slot != 0 ? NULL : qp;
	return 0;
}

/*
 * WQs.
 */

/*
 * Take a WQ number as mlx4_ib_alloc_wqn (Linux mlx4_ib qp.c) does for the
 * context: from its newest range while that one is open (not full, not
 * dirty), else from a new range of 1 << log_range numbers, consecutive
 * and aligned to their count. Asking for a new range of more than one
 * number while the newest is still open is -EINVAL there. dev->lock held.
 */
static int
emu_wqn_alloc(struct emu_ctx *ctx, uint32_t log_range, struct emu_wq *wq)
{
	struct emu_wqn_range *r = TAILQ_FIRST(&ctx->wqn_ranges);
	uint32_t size = 1u << log_range;

	if (r == NULL || r->refcount == r->size || r->dirty) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		r->size = size;
		r->base = emu_qpn_reserve(ctx->dev, size);
		TAILQ_INSERT_HEAD(&ctx->wqn_ranges, r, next);
	} else if (size != 1) {
		return -EINVAL;
	}
	wq->range = r;
	wq->hw.wq_num = (r->base + r->refcount) & 0xffffff;
	r->refcount++;
	return 0;
}

/*
 * Give a WQ number back (mlx4_ib_release_wqn with dirty_release, as
 * destroying a WQ does): the last one frees the range, any other leaves
 * the range dirty, so that it hands out no more numbers. dev->lock held.
 */
static void
emu_wqn_release(struct emu_ctx *ctx, struct emu_wq *wq)
{
	struct emu_wqn_range *r = wq->range;

	if (--r->refcount == 0) {
		TAILQ_REMOVE(&ctx->wqn_ranges, r, next);
		free(r);
	} else {
		r->dirty = true;
	}
}

/*
 * LOG_WQS_RANGE_SZ (rdma-core libmlx4 mlx4.c mlx4dv_set_context_attr):
 * remembered by the context for the next WQ only.
 */
static int
emu_set_rss_range(struct mlx4r_hw_ctx *hctx, uint32_t log_size)
{
	struct emu_ctx *ctx = emu_ctx(hctx);

	if (log_size > UINT8_MAX)
		return -EINVAL;
	pthread_mutex_lock(&ctx->dev->lock);
	ctx->log_wqs_range = (uint8_t)log_size;
	pthread_mutex_unlock(&ctx->dev->lock);
	return 0;
}

static int
emu_create_wq(struct mlx4r_hw_pd *hpd, struct mlx4r_hw_wq_attr *attr,
	      struct mlx4r_hw_wq **out)
{
	struct emu_pd *pd = emu_pd(hpd);
	struct emu_ctx *ctx = emu_ctx(hpd->ctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_cq *cq;
	struct emu_wq *wq;
	uint32_t cnt, sges;
	int ret;

	if (attr == NULL || attr->cq == NULL || attr->max_wr == 0 ||
	    attr->max_wr > dev->conf.max_qp_wr || attr->max_sge == 0 ||
	    attr->max_sge > EMU_MAX_SGE || attr->cq->ctx != hpd->ctx)
		return -EINVAL;
	/*
	 * Linux 6.1 mlx4_ib qp.c mlx4_ib_create_wq: flags other than
	 * SCATTER_FCS, or any WQ on firmware without FCS_KEEP, -EOPNOTSUPP.
	 */
	if ((attr->create_flags & ~(uint32_t)IBV_WQ_FLAGS_SCATTER_FCS) ||
	    dev->conf.no_fcs_keep)
		return -EOPNOTSUPP;
	cq = emu_cq(attr->cq);
	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_CREATE_WQ);
	if (ret != 0)
		goto out;
	if (cq->user) {
		ret = -EINVAL;
		goto out;
	}
	/*
	 * A range larger than the device's largest RSS table is refused
	 * (Linux mlx4_ib qp.c create_rq: -EOPNOTSUPP).
	 */
	if ((1ull << ctx->log_wqs_range) > dev->conf.max_rss_tbl) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	cnt = rte_align32pow2(attr->max_wr);
	sges = rte_align32pow2(attr->max_sge);
	wq = calloc(1, sizeof(*wq));
	if (wq != NULL && ctx->umem.set) {
		/* the kernel face: libmlx4's ring and doorbell record */
		wq->buf = ctx->umem.buf;
		wq->rdb = ctx->umem.db;
		wq->umem = true;
	} else if (wq != NULL) {
		wq->buf = emu_ring_get(dev, (size_t)cnt * sges * 16, 4096);
		wq->rdb = emu_zalloc(64, 64);
	}
	if (wq == NULL || wq->buf == NULL || wq->rdb == NULL) {
		if (wq != NULL && !wq->umem) {
			emu_ring_put(dev, wq->buf, (size_t)cnt * sges * 16,
				     4096);
			free(wq->rdb);
		}
		free(wq);
		ret = -ENOMEM;
		goto out;
	}
	ret = emu_wqn_alloc(ctx, ctx->log_wqs_range, wq);
	if (ret != 0) {
		if (!wq->umem) {
			emu_ring_put(dev, wq->buf, (size_t)cnt * sges * 16,
				     4096);
			free(wq->rdb);
		}
		free(wq);
		goto out;
	}
	/* libmlx4's mlx4_create_wq: the range size is for one WQ only */
	ctx->log_wqs_range = 0;
	wq->ctx = ctx;
	wq->pd = pd;
	wq->cq = cq;
	cq->user = true;
	wq->cnt = cnt;
	wq->sges = sges;
	wq->scatter_fcs = (attr->create_flags & IBV_WQ_FLAGS_SCATTER_FCS) != 0;
	wq->shift = 4 + (uint32_t)rte_log2_u32(sges);
	wq->state = IBV_WQS_RESET;
	wq->hw.ctx = &ctx->hw;
	wq->hw.state = IBV_WQS_RESET;
	attr->max_wr = cnt;
	attr->max_sge = sges;
	pd->users++;
	TAILQ_INSERT_TAIL(&ctx->wqs, wq, next);
	emu_ring_socket(dev, hpd->ctx);
	dev->nb_objects++;
	if (dev->conf.engine_thread) {
		/* last: the thread may take the WQ from here on */
		ret = emu_engine_add_wq(dev, wq);
		if (ret != 0) {
			emu_destroy_wq_locked(wq);
			goto out;
		}
	}
	*out = &wq->hw;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int
emu_modify_wq(struct mlx4r_hw_wq *hwq, enum ibv_wq_state next)
{
	struct emu_wq *wq = emu_wq(hwq);
	struct emu_ctx *ctx = wq->ctx;
	struct emu_dev *dev = ctx->dev;
	struct emu_port *port;
	bool ok;
	int ret;

	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_MODIFY_WQ);
	if (ret != 0)
		goto out;
	/*
	 * mlx4_ib_modify_wq() (Linux 6.1 qp.c) judges a move by the WQ's
	 * logical state, the last one set: ERR -> RDY and RESET -> ERR are
	 * -EINVAL. A move to the state the hardware is believed to be in
	 * does nothing (_mlx4_ib_modify_wq()): RDY -> RDY leaves a WQ the
	 * hardware put in error as it is; only RESET repairs it.
	 */
	switch (next) {
	case IBV_WQS_RESET:
		ok = true;
		break;
	case IBV_WQS_ERR:
		ok = hwq->state != IBV_WQS_RESET;
		break;
	case IBV_WQS_RDY:
		ok = hwq->state == IBV_WQS_RESET || hwq->state == IBV_WQS_RDY;
		break;
	default:
		ok = false;
		break;
	}
	if (!ok) {
		ret = -EINVAL;
		goto out;
	}
	if (next == hwq->state && next != IBV_WQS_RESET)
		goto out;
	/* The Rx engine reads ci/state under the bound port's rx_lock. */
	port = emu_dev_port(dev, wq->port);
	if (port != NULL)
		rte_spinlock_lock(&port->rx_lock);
	wq->state = next;
	if (next == IBV_WQS_RESET) {
		/*
		 * libmlx4 mlx4_modify_wq() cleans the WQ's CQ and zeroes the
		 * doorbell record too
		 */
		emu_cq_libmlx4_clean(wq->cq, hwq->wq_num);
		wq->ci = 0;
		wq->pi_seen = 0;
		__atomic_store_n(wq->rdb, 0, __ATOMIC_RELAXED);
	}
	if (next == IBV_WQS_ERR)
		emu_wq_flush(wq);
	if (port != NULL)
		rte_spinlock_unlock(&port->rx_lock);
	hwq->state = next;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static void
emu_destroy_wq_locked(struct emu_wq *wq)
{
	struct emu_ctx *ctx = wq->ctx;

	/* first: back from the engine thread, which then leaves it alone */
	emu_engine_del(ctx->dev, wq->eng_slot);
	wq->cq->user = false;
	wq->pd->users--;
	emu_wqn_release(ctx, wq);
	TAILQ_REMOVE(&ctx->wqs, wq, next);
	ctx->dev->nb_objects--;
	if (!wq->umem) {
		emu_ring_put(ctx->dev, wq->buf,
			     (size_t)wq->cnt * wq->sges * 16, 4096);
		free(wq->rdb);
	}
	free(wq);
}

static int
emu_destroy_wq(struct mlx4r_hw_wq *hwq)
{
	struct emu_wq *wq = emu_wq(hwq);
	struct emu_dev *dev = wq->ctx->dev;
	int ret = -EBUSY;

	pthread_mutex_lock(&dev->lock);
	if (wq->users == 0) {
		emu_destroy_wq_locked(wq);
		ret = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int
emu_wq_view(struct mlx4r_hw_wq *hwq, struct mlx4dv_rwq *dv,
	    struct mlx4r_hw_hook *hook)
{
	struct emu_wq *wq = emu_wq(hwq);

	memset(dv, 0, sizeof(*dv));
	dv->rdb = (__be32 *)wq->rdb;
	dv->rq.wqe_cnt = wq->cnt;
	dv->rq.wqe_shift = (int)wq->shift;
	dv->rq.offset = 0;
	dv->buf.buf = wq->buf;
	dv->buf.length = (size_t)wq->cnt << wq->shift;
	hook->fn = wq->eng_slot != 0 ? NULL : emu_rx_hook;
	hook->arg = wq->eng_slot != 0 ? NULL : wq;
	return 0;
}

/*
 * Indirection tables.
 */

static int
emu_create_ind_table(struct mlx4r_hw_ctx *hctx, uint32_t log_size,
		     struct mlx4r_hw_wq *const *wqs,
		     struct mlx4r_hw_ind_table **out)
{
	struct emu_ctx *ctx = emu_ctx(hctx);
	struct emu_dev *dev = ctx->dev;
	struct emu_ind *ind;
	uint32_t i, n;
	int ret;

	if (log_size > EMU_MAX_LOG_IND)
		return -EINVAL;
	n = 1u << log_size;
	/*
	 * Linux mlx4_ib qp.c mlx4_ib_create_rwq_ind_table: at most the
	 * device's max_rwq_indirection_table_size entries; the first WQN
	 * aligned to the table size and the others following it one by one
	 * (ConnectX-3 hashes into base_wqn + (hash & (size - 1))): -EINVAL.
	 */
	if (n > dev->conf.max_rss_tbl || wqs == NULL)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (wqs[i] == NULL || wqs[i]->ctx != hctx)
			return -EINVAL;
	if (wqs[0]->wq_num % n != 0) {
		EMU_LOG(DEBUG, "WQN 0x%x isn't aligned with table size %u",
			wqs[0]->wq_num, n);
		return -EINVAL;
	}
	for (i = 1; i < n; i++) {
		if (wqs[i]->wq_num != wqs[0]->wq_num + i) {
			EMU_LOG(DEBUG, "table WQNs aren't consecutive (entry %u)",
				i);
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_CREATE_IND);
	if (ret != 0)
		goto out;
	ind = calloc(1, sizeof(*ind));
	if (ind != NULL)
		ind->wqs = calloc(n, sizeof(*ind->wqs));
	if (ind == NULL || ind->wqs == NULL) {
		if (ind != NULL)
			free(ind->wqs);
		free(ind);
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ind->wqs[i] = emu_wq(wqs[i]);
		ind->wqs[i]->users++;
	}
	ind->mask = n - 1;
	ind->hw.ctx = hctx;
	ind->hw.log_size = log_size;
	ind->hw.ind_tbl_num = dev->next_id[EMU_OBJ_IND]++ & 0xffffff;
	TAILQ_INSERT_TAIL(&ctx->inds, ind, next);
	dev->nb_objects++;
	*out = &ind->hw;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static void
emu_destroy_ind_locked(struct emu_ind *ind)
{
	struct emu_ctx *ctx = emu_ctx(ind->hw.ctx);
	uint32_t i;

	for (i = 0; i <= ind->mask; i++)
		ind->wqs[i]->users--;
	TAILQ_REMOVE(&ctx->inds, ind, next);
	ctx->dev->nb_objects--;
	free(ind->wqs);
	free(ind);
}

static int
emu_destroy_ind_table(struct mlx4r_hw_ind_table *hind)
{
	struct emu_ind *ind = container_of(hind, struct emu_ind, hw);
	struct emu_dev *dev = emu_ctx(hind->ctx)->dev;
	int ret = -EBUSY;

	pthread_mutex_lock(&dev->lock);
	if (ind->users == 0) {
		emu_destroy_ind_locked(ind);
		ret = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

/*
 * Flow rules.
 */

static int
emu_flow_parse(struct emu_flow *f, const struct ibv_flow_attr *attr)
{
	const uint8_t *p = (const uint8_t *)(attr + 1);
	unsigned int i;

	for (i = 0; i < attr->num_of_specs; i++) {
		struct ibv_flow_spec spec;
		const struct ibv_flow_spec *s = &spec;
		uint16_t size;

		/*
		 * Specs follow each other unaligned (verbs packs them):
		 * copy each one out. Header: 32-bit type, 16-bit size.
		 */
		memcpy(&size, p + sizeof(uint32_t), sizeof(size));
		if (size < sizeof(uint32_t) + sizeof(size) ||
		    size > sizeof(spec))
			return -EINVAL;
		memset(&spec, 0, sizeof(spec));
		memcpy(&spec, p, size);
		switch (s->hdr.type) {
		case IBV_FLOW_SPEC_ETH: {
			const struct ibv_flow_spec_eth *e = &s->eth;

			if (e->size != sizeof(*e))
				return -EINVAL;
			/*
			 * What the card is given of an ETH spec: destination
			 * MAC and VLAN tag with their masks. mlx4_ib takes
			 * source MAC and EtherType masks without a word and
			 * hands neither to the firmware (Linux mlx4 main.c
			 * parse_flow_attr, IB_FLOW_SPEC_ETH: FIELDS_NOT_SUPPORTED
			 * checks only what follows vlan_tag): such a rule
			 * matches every source and EtherType.
			 */
			f->dmac_m = emu_mac48(e->mask.dst_mac);
			f->dmac_v = emu_mac48(e->val.dst_mac) & f->dmac_m;
			f->vlan = rte_be_to_cpu_16(e->val.vlan_tag);
			f->vlan_m = rte_be_to_cpu_16(e->mask.vlan_tag);
			f->has_vlan_spec = f->vlan_m != 0;
			break;
		}
		case IBV_FLOW_SPEC_IPV4: {
			const struct ibv_flow_spec_ipv4 *v4 = &s->ipv4;

			if (v4->size != sizeof(*v4))
				return -EINVAL;
			f->sip = v4->val.src_ip;
			f->sip_m = v4->mask.src_ip;
			f->dip = v4->val.dst_ip;
			f->dip_m = v4->mask.dst_ip;
			f->has_ip_spec = true;
			break;
		}
		case IBV_FLOW_SPEC_TCP:
		case IBV_FLOW_SPEC_UDP: {
			const struct ibv_flow_spec_tcp_udp *l4 = &s->tcp_udp;

			if (l4->size != sizeof(*l4))
				return -EINVAL;
			f->l4 = s->hdr.type == IBV_FLOW_SPEC_TCP ?
				IPPROTO_TCP : IPPROTO_UDP;
			f->sport = l4->val.src_port;
			f->sport_m = l4->mask.src_port;
			f->dport = l4->val.dst_port;
			f->dport_m = l4->mask.dst_port;
			break;
		}
		default:
			/* IPv6, tunnels, inner specs: parse_flow_attr -EINVAL */
			return -EINVAL;
		}
		p += s->hdr.size;
	}
	return 0;
}

/*
 * The priority the card honours: none for a rule on a UDP destination
 * port, which it matches ahead of the others (upstream net_mlx4
 * mlx4_flow.c mlx4_flow_merge_udp: "Due to HW/FW limitation, flow rule
 * priority is not taken into account when matching UDP destination
 * ports"; upstream refuses such rules at a nonzero priority).
 */
static uint16_t
emu_flow_prio(const struct emu_flow *f)
{
	return f->l4 == IPPROTO_UDP && f->dport_m != 0 ? 0 : f->priority;
}

/* Order: class (normal, all-multicast, promiscuous), priority, age. */
static bool
emu_flow_before(const struct emu_flow *a, const struct emu_flow *b)
{
	if (a->cls != b->cls)
		return a->cls < b->cls;
	if (emu_flow_prio(a) != emu_flow_prio(b))
		return emu_flow_prio(a) < emu_flow_prio(b);
	return a->seq < b->seq;
}

static int
emu_create_flow(struct mlx4r_hw_qp *hqp, struct ibv_flow_attr *attr,
		struct mlx4r_hw_flow **out)
{
	struct emu_qp *qp = emu_qp(hqp);
	struct emu_ctx *ctx = qp->ctx;
	struct emu_dev *dev = ctx->dev;
	struct emu_port *port;
	struct emu_flow *f;
	uint32_t i;
	int ret;

	if (attr == NULL || attr->comp_mask != 0)
		return -EINVAL;
	/*
	 * uverbs first (Linux uverbs_cmd.c ib_uverbs_ex_create_flow):
	 * flags beyond the known ones, DONT_TRAP on a default rule, more
	 * than IB_FLOW_SPEC_SUPPORT_LAYERS (10) specs: -EINVAL.
	 */
	if (attr->flags >= (uint32_t)IBV_FLOW_ATTR_FLAGS_EGRESS << 1 ||
	    ((attr->flags & IBV_FLOW_ATTR_FLAGS_DONT_TRAP) &&
	     (attr->type == IBV_FLOW_ATTR_ALL_DEFAULT ||
	      attr->type == IBV_FLOW_ATTR_MC_DEFAULT)) ||
	    attr->num_of_specs > EMU_FLOW_MAX_SPECS)
		return -EINVAL;
	/*
	 * Then Linux mlx4 main.c mlx4_ib_create_flow: flags other than DONT_TRAP
	 * -EOPNOTSUPP; DONT_TRAP too, on any type but NORMAL, and on NORMAL
	 * without the firmware's DMFS_UC_MC_SNIFFER capability, which the
	 * emulated device does not have (mlx4_ib_add_dont_trap_rule).
	 * __mlx4_ib_create_flow: a priority above MLX4_IB_FLOW_MAX_PRIO
	 * (0xfff) -EINVAL.
	 */
	if (attr->flags != 0)
		return -EOPNOTSUPP;
	if (attr->priority > EMU_FLOW_MAX_PRIO)
		return -EINVAL;
	port = emu_dev_port(dev, attr->port);
	if (port == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	ret = emu_cmd_check(ctx, MLX4R_EMU_OP_CREATE_FLOW);
	if (ret != 0)
		goto out;
	ret = -EINVAL;
	if (qp->port != 0 && qp->port != attr->port)
		goto out;
	/*
	 * mlx4_ib main.c mlx4_ib_create_flow: no flag but DONT_TRAP, and
	 * DONT_TRAP (a rule that copies without stealing,
	 * mlx4_ib_add_dont_trap_rule) needs the firmware's
	 * MLX4_DEV_CAP_FLAG2_DMFS_UC_MC_SNIFFER (fw.c mlx4_QUERY_DEV_CAP),
	 * which the emulated firmware does not report: -EOPNOTSUPP, so that
	 * every rule steals what it matches (emu_steer).
	 */
	ret = -EOPNOTSUPP;
	if (attr->flags != 0)
		goto out;
	ret = -EINVAL;
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	switch (attr->type) {
	case IBV_FLOW_ATTR_NORMAL:
		f->cls = 0;
		break;
	case IBV_FLOW_ATTR_MC_DEFAULT:
		f->cls = 1;
		break;
	case IBV_FLOW_ATTR_ALL_DEFAULT:
		f->cls = 2;
		break;
	case IBV_FLOW_ATTR_SNIFFER:
		/* mlx4_ib mirrors the port: not modelled */
		free(f);
		ret = -EOPNOTSUPP;
		goto out;
	default:
		/* mlx4_ib_create_flow: an unknown type -EINVAL */
		free(f);
		ret = -EINVAL;
		goto out;
	}
	ret = emu_flow_parse(f, attr);
	if (ret != 0) {
		free(f);
		goto out;
	}
	if (port->nb_rules == port->rules_cap) {
		uint32_t cap = port->rules_cap == 0 ? 16 : port->rules_cap * 2;
		struct emu_flow **r = calloc(cap, sizeof(*r));

		if (r == NULL) {
			free(f);
			ret = -ENOMEM;
			goto out;
		}
		/* The engine reads the table under rx_lock only. */
		rte_spinlock_lock(&port->rx_lock);
		if (port->nb_rules != 0)
			memcpy(r, port->rules, port->nb_rules * sizeof(*r));
		free(port->rules);
		port->rules = r;
		port->rules_cap = cap;
		rte_spinlock_unlock(&port->rx_lock);
	}
	f->qp = qp;
	f->port = attr->port;
	f->priority = attr->priority;
	f->seq = dev->next_id[EMU_OBJ_FLOW];
	f->hw.qp = hqp;
	f->hw.handle = dev->next_id[EMU_OBJ_FLOW]++;
	rte_spinlock_lock(&port->rx_lock);
	i = port->nb_rules;
	while (i > 0 && emu_flow_before(f, port->rules[i - 1])) {
		port->rules[i] = port->rules[i - 1];
		i--;
	}
	port->rules[i] = f;
	port->nb_rules++;
	rte_spinlock_unlock(&port->rx_lock);
	qp->flows++;
	TAILQ_INSERT_TAIL(&ctx->flows, f, next);
	dev->nb_objects++;
	*out = &f->hw;
	ret = 0;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int
emu_destroy_flow_locked(struct emu_flow *f)
{
	struct emu_ctx *ctx = f->qp->ctx;
	struct emu_port *port = emu_dev_port(ctx->dev, f->port);
	uint32_t i, j;

	rte_spinlock_lock(&port->rx_lock);
	for (i = 0, j = 0; i < port->nb_rules; i++)
		if (port->rules[i] != f)
			port->rules[j++] = port->rules[i];
	port->nb_rules = j;
	rte_spinlock_unlock(&port->rx_lock);
	f->qp->flows--;
	TAILQ_REMOVE(&ctx->flows, f, next);
	ctx->dev->nb_objects--;
	free(f);
	return 0;
}

/*
 * The rules of @p ctx leave the ports' steering tables (its
 * disassociation); the flow objects stay until destroyed. dev->lock held.
 */
void
emu_detach_flows_locked(struct emu_ctx *ctx)
{
	struct emu_flow *f;
	struct emu_port *port;
	uint32_t i, j;

	TAILQ_FOREACH(f, &ctx->flows, next) {
		port = emu_dev_port(ctx->dev, f->port);
		rte_spinlock_lock(&port->rx_lock);
		for (i = 0, j = 0; i < port->nb_rules; i++)
			if (port->rules[i] != f)
				port->rules[j++] = port->rules[i];
		port->nb_rules = j;
		rte_spinlock_unlock(&port->rx_lock);
	}
}

static int
emu_destroy_flow(struct mlx4r_hw_flow *hf)
{
	struct emu_flow *f = container_of(hf, struct emu_flow, hw);
	struct emu_dev *dev = f->qp->ctx->dev;

	pthread_mutex_lock(&dev->lock);
	emu_destroy_flow_locked(f);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

const struct mlx4r_hw_ops mlx4r_hw_emu_ops = {
	.name = "emu",
	.open_device = emu_open_device,
	.close_device = emu_close_device,
	.query_device = emu_query_device,
	.query_port = emu_query_port,
	.port_mac = emu_port_mac,
	.port_counters = emu_port_counters,
	.netdev_query = emu_netdev_query,
	.netdev_set_up = emu_netdev_set_up,
	.netdev_set_mtu = emu_netdev_set_mtu,
	.netdev_pause_get = emu_netdev_pause_get,
	.netdev_pause_set = emu_netdev_pause_set,
	.alloc_pd = emu_alloc_pd,
	.dealloc_pd = emu_dealloc_pd,
	.reg_mr = emu_reg_mr,
	.dereg_mr = emu_dereg_mr,
	.create_cq = emu_create_cq,
	.destroy_cq = emu_destroy_cq,
	.cq_view = emu_cq_view,
	.create_comp_channel = emu_create_comp_channel,
	.destroy_comp_channel = emu_destroy_comp_channel,
	.create_cq_ch = emu_create_cq_ch,
	.get_cq_event = emu_get_cq_event,
	.ack_cq_events = emu_ack_cq_events,
	.cq_armed = emu_cq_armed,
	.create_qp = emu_create_qp,
	.create_rss_qp = emu_create_rss_qp,
	.modify_qp = emu_modify_qp,
	.query_qp_state = emu_query_qp_state,
	.destroy_qp = emu_destroy_qp,
	.qp_view = emu_qp_view,
	.create_wq = emu_create_wq,
	.modify_wq = emu_modify_wq,
	.destroy_wq = emu_destroy_wq,
	.wq_view = emu_wq_view,
	.set_rss_range = emu_set_rss_range,
	.create_ind_table = emu_create_ind_table,
	.destroy_ind_table = emu_destroy_ind_table,
	.create_flow = emu_create_flow,
	.destroy_flow = emu_destroy_flow,
	.get_async_event = emu_get_async_event,
	.ack_async_event = emu_ack_async_event,
};
