/**
 * The users the data-store images run as: images/{redis,kafka,postgres}/Dockerfile create them before their
 * packages are installed, and the data-store pods run as them (runAsUser, runAsGroup, fsGroup). They are the
 * official images' UIDs as well (redis and postgres: 999, apache/kafka's appuser: 1000), so volumes written by a
 * pipeline that ran those images keep their owner (Postgres refuses a data directory it does not own), and the
 * official images still run as the user they were built for. A unit test reads the Dockerfiles to keep these equal.
 */
export const DATA_STORE_UID = { redis: 999, kafka: 1000, postgres: 999 } as const;
