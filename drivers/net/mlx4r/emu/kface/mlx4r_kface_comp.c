/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Completion channels of the kernel face (ibv_create_comp_channel), as
 * Linux uverbs makes them:
 *  - CREATE_COMP_CHANNEL (uverbs_cmd.c ib_uverbs_create_comp_channel)
 *    returns a new fd of the process: here a dup() of the model's channel
 *    fd (mlx4r_emu_intr.c), which polls readable while an event waits;
 *  - read() of it (uverbs_main.c ib_uverbs_event_read, eventsz of
 *    struct ib_uverbs_comp_event_desc): one event per read, -EINVAL if
 *    the buffer is smaller, -EAGAIN when none waits on a non-blocking fd,
 *    waits otherwise, -EIO once the context is gone (is_closed); each
 *    event read is counted for its CQ (comp_events_reported), the count
 *    DESTROY_CQ answers (uverbs_cmd.c ib_uverbs_destroy_cq), which
 *    libibverbs waits for its acknowledgements to reach;
 *  - CREATE_CQ with comp_channel >= 0: an fd that is not a channel of
 *    this file is -EBADF (rdma_core.c lookup_get_fd_uobject);
 *  - the channel lives while its fd is open or a CQ uses it (the CQ holds
 *    a reference on the file: _ib_uverbs_lookup_comp_file).
 * The model's events are acknowledged as they are read: the kernel has no
 * acknowledgement, libibverbs counts them in user space.
 *
 * Locks: kf_comp_lock, inside a file's lock (the commands take it with
 * f->lock held), never the other way round; the read side takes it alone.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/ib_user_verbs.h>

#include "mlx4r_kface.h"

#define KF_COMP_MAX_FD 4096
#define KF_COMP_MAX_CQ 1024

/* A channel, by the fd the application has. */
struct kf_comp {
	struct kf_file *f;           /* its file; NULL once released */
	struct mlx4r_hw_channel *ch; /* the model's; NULL once gone */
	int fd;                      /* the application's */
	uint32_t cqs;                /* CQs created on it */
	bool fd_closed;              /* close() came, CQs left */
};

/* A CQ on a channel: what its events need. */
struct kf_comp_cq {
	struct mlx4r_hw_cq *cq;      /* NULL: free entry */
	struct kf_comp *comp;
	uint64_t user_handle;        /* cq_handle of its events */
	uint32_t reported;           /* events read (comp_events_reported) */
};

static pthread_mutex_t kf_comp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kf_comp *kf_comps[KF_COMP_MAX_FD];
static struct kf_comp_cq kf_comp_cqs[KF_COMP_MAX_CQ];

static struct kf_comp_cq *
kf_comp_cq_find(const struct mlx4r_hw_cq *cq)
{
	unsigned int i;

	for (i = 0; i < KF_COMP_MAX_CQ; i++)
		if (kf_comp_cqs[i].cq == cq)
			return &kf_comp_cqs[i];
	return NULL;
}

/* Free the channel of @p c if neither its fd nor a CQ holds it. */
static void
kf_comp_put(struct kf_comp *c)
{
	if (!c->fd_closed || c->cqs != 0)
		return;
	if (c->ch != NULL)
		mlx4r_hw_emu_ops.destroy_comp_channel(c->ch);
	free(c);
}

int
kf_comp_create(struct kf_file *f, int *fd)
{
	struct mlx4r_hw_channel *ch;
	struct kf_comp *c;
	int ret, nfd;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	ret = mlx4r_hw_emu_ops.create_comp_channel(f->ctx, &ch);
	if (ret != 0) {
		free(c);
		return ret;
	}
	/* a blocking fd of its own, as get_unused_fd_flags(O_CLOEXEC) */
	nfd = fcntl(ch->fd, F_DUPFD_CLOEXEC, 0);
	if (nfd < 0 || nfd >= KF_COMP_MAX_FD ||
	    fcntl(nfd, F_SETFL, fcntl(nfd, F_GETFL) & ~O_NONBLOCK) < 0) {
		ret = nfd < 0 ? -errno : -EMFILE;
		if (nfd >= 0)
			kf_real.close(nfd);
		mlx4r_hw_emu_ops.destroy_comp_channel(ch);
		free(c);
		return ret;
	}
	c->f = f;
	c->ch = ch;
	c->fd = nfd;
	pthread_mutex_lock(&kf_comp_lock);
	__atomic_store_n(&kf_comps[nfd], c, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&kf_comp_lock);
	*fd = nfd;
	return 0;
}

bool
kf_comp_check(struct kf_file *f, int fd)
{
	struct kf_comp *c;
	bool ret;

	if (fd < 0 || fd >= KF_COMP_MAX_FD)
		return false;
	pthread_mutex_lock(&kf_comp_lock);
	c = kf_comps[fd];
	ret = c != NULL && c->f == f && c->ch != NULL;
	pthread_mutex_unlock(&kf_comp_lock);
	return ret;
}

int
kf_comp_cq_create(struct kf_file *f, int fd, uint32_t cqe,
		  uint64_t user_handle, struct mlx4r_hw_cq **out)
{
	struct kf_comp_cq *e;
	struct kf_comp *c;
	int ret;

	pthread_mutex_lock(&kf_comp_lock);
	c = fd >= 0 && fd < KF_COMP_MAX_FD ? kf_comps[fd] : NULL;
	if (c == NULL || c->f != f || c->ch == NULL) {
		ret = -EBADF;
		goto out;
	}
	e = kf_comp_cq_find(NULL);
	if (e == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ret = mlx4r_hw_emu_ops.create_cq_ch(f->ctx, cqe, c->ch, out);
	if (ret != 0)
		goto out;
	e->cq = *out;
	e->comp = c;
	e->user_handle = user_handle;
	e->reported = 0;
	c->cqs++;
out:
	pthread_mutex_unlock(&kf_comp_lock);
	return ret;
}

int
kf_comp_cq_destroy(struct mlx4r_hw_cq *cq, uint32_t *reported)
{
	struct kf_comp_cq *e;
	struct kf_comp *c;
	int ret;

	pthread_mutex_lock(&kf_comp_lock);
	e = kf_comp_cq_find(cq);
	if (e == NULL) {
		pthread_mutex_unlock(&kf_comp_lock);
		return 1; /* not on a channel */
	}
	/* under the lock: no read is between taking and acknowledging */
	ret = mlx4r_hw_emu_ops.destroy_cq(cq);
	if (ret == 0) {
		*reported = e->reported;
		c = e->comp;
		memset(e, 0, sizeof(*e));
		c->cqs--;
		kf_comp_put(c);
	}
	pthread_mutex_unlock(&kf_comp_lock);
	return ret;
}

void
kf_comp_release(struct kf_file *f)
{
	unsigned int i;

	/*
	 * The context goes (its close destroys the model's channels and
	 * CQs): the channels of @p f read -EIO from now on.
	 */
	pthread_mutex_lock(&kf_comp_lock);
	for (i = 0; i < KF_COMP_MAX_CQ; i++)
		if (kf_comp_cqs[i].cq != NULL && kf_comp_cqs[i].comp->f == f)
			memset(&kf_comp_cqs[i], 0, sizeof(kf_comp_cqs[i]));
	for (i = 0; i < KF_COMP_MAX_FD; i++) {
		struct kf_comp *c = kf_comps[i];

		if (c == NULL || c->f != f)
			continue;
		c->f = NULL;
		c->ch = NULL;
		c->cqs = 0;
		if (c->fd_closed) {
			__atomic_store_n(&kf_comps[i], NULL, __ATOMIC_RELAXED);
			kf_comp_put(c);
		}
	}
	pthread_mutex_unlock(&kf_comp_lock);
}

/*
 * Without the lock: the model's own read() of its channel fd comes here
 * (the interposer) with kf_comp_lock held, and finds nothing (the
 * application's fd is a dup, another number). Relaxed: an fd number is
 * the application's once create returned it, and close is its own.
 */
bool
kf_comp_is(int fd)
{
	if (fd < 0 || fd >= KF_COMP_MAX_FD)
		return false;
	return __atomic_load_n(&kf_comps[fd], __ATOMIC_RELAXED) != NULL;
}

void
kf_comp_close(int fd)
{
	struct kf_comp *c;

	pthread_mutex_lock(&kf_comp_lock);
	c = kf_comps[fd];
	__atomic_store_n(&kf_comps[fd], NULL, __ATOMIC_RELAXED);
	if (c != NULL) {
		c->fd_closed = true;
		kf_comp_put(c);
	}
	pthread_mutex_unlock(&kf_comp_lock);
}

ssize_t
kf_comp_read(int fd, void *buf, size_t count, bool nonblock)
{
	struct ib_uverbs_comp_event_desc desc;
	struct mlx4r_hw_cq *cq;
	struct kf_comp_cq *e;
	struct kf_comp *c;
	struct pollfd pfd;
	int ret;

	/* room for one event (stricter: the kernel says it once one waits) */
	if (count < sizeof(desc))
		return -EINVAL;
	for (;;) {
		pthread_mutex_lock(&kf_comp_lock);
		c = kf_comps[fd];
		if (c == NULL || c->ch == NULL) {
			pthread_mutex_unlock(&kf_comp_lock);
			return -EIO; /* is_closed */
		}
		ret = mlx4r_hw_emu_ops.get_cq_event(c->ch, &cq);
		if (ret == 0) {
			e = kf_comp_cq_find(cq);
			memset(&desc, 0, sizeof(desc));
			if (e != NULL) {
				desc.cq_handle = e->user_handle;
				e->reported++;
			}
			mlx4r_hw_emu_ops.ack_cq_events(cq, 1);
		}
		pthread_mutex_unlock(&kf_comp_lock);
		if (ret == 0) {
			memcpy(buf, &desc, sizeof(desc));
			return sizeof(desc);
		}
		if (ret != -EAGAIN)
			return ret;
		if (nonblock)
			return -EAGAIN;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}
