/* The persister role (persister/persister.c). */
#ifndef VOLE_PERSISTER_H
#define VOLE_PERSISTER_H
struct vole_config;
int persister_main(const struct vole_config *cfg);
#endif
