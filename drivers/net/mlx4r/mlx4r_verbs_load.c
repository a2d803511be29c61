/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Loading of the rdma-core backend.
 *
 * The backend lives in its own shared object, librte_net_mlx4r_verbs.so,
 * linked with libibverbs and libmlx4, and is opened with dlopen() the first
 * time a device asks for backend=verbs. librte_net_mlx4r.so itself does not
 * depend on rdma-core's libraries: it loads, and runs the emulated device,
 * on a machine without them. (The upstream mlx4 PMD offers the same choice
 * with its "glue" library; mlx4r always takes it.)
 *
 * Where the object is looked for, in order:
 *  1. $MLX4R_VERBS_GLUE, a full path;
 *  2. beside the object that holds this code (the plugin's directory);
 *  3. the dynamic linker's search path (LD_LIBRARY_PATH, system dirs).
 */

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_string_fns.h>

#include "mlx4r.h"
#include "mlx4r_hw.h"

#define MLX4R_VERBS_GLUE_NAME "librte_net_mlx4r_verbs.so.23.0"
#define MLX4R_VERBS_OPS_SYMBOL "mlx4r_hw_verbs_ops"

/* Loaded once, kept for the life of the process (probe runs on one thread). */
static const struct mlx4r_hw_ops *verbs_ops;
static void *verbs_handle;

static void *
mlx4r_verbs_try(const char *path, char *why, size_t len)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
		snprintf(why, len, "%s", dlerror());
	return h;
}

const struct mlx4r_hw_ops *
mlx4r_hw_verbs_backend(char *err, size_t len)
{
	char self[PATH_MAX], path[PATH_MAX];
	const char *env = getenv("MLX4R_VERBS_GLUE");
	Dl_info info;
	void *h = NULL;

	if (verbs_ops != NULL)
		return verbs_ops;
	if (env != NULL && env[0] != '\0') {
		h = mlx4r_verbs_try(env, err, len);
	} else {
		if (dladdr((void *)mlx4r_hw_verbs_backend, &info) != 0 &&
		    info.dli_fname != NULL) {
			strlcpy(self, info.dli_fname, sizeof(self));
			snprintf(path, sizeof(path), "%s/%s", dirname(self),
				 MLX4R_VERBS_GLUE_NAME);
			h = mlx4r_verbs_try(path, err, len);
		}
		if (h == NULL)
			h = mlx4r_verbs_try(MLX4R_VERBS_GLUE_NAME, err, len);
	}
	if (h == NULL)
		return NULL; /* err holds dlerror() */
	verbs_ops = dlsym(h, MLX4R_VERBS_OPS_SYMBOL);
	if (verbs_ops == NULL) {
		snprintf(err, len, "%s", dlerror());
		dlclose(h);
		return NULL;
	}
	verbs_handle = h;
	return verbs_ops;
}
