/*
 * pq_internal.h - libpq, loaded when ark first talks to a server.
 *
 * libpq brings about twenty shared libraries with it (OpenSSL, GSSAPI,
 * Kerberos, LDAP, SASL, GnuTLS...).  Mapping them costs every process
 * some 60-90 ms on the machines ark is tested on, whether it connects or
 * not, and most runs of the tools never do (a snapshot, a verify, a
 * SQLite restore).  So the library is opened with dlopen() on first use
 * (ark_pq_load) and the PQ* names used in lib/pg/ call through this
 * table.  Include this instead of <libpq-fe.h>.
 */
#ifndef ARK_PQ_INTERNAL_H
#define ARK_PQ_INTERNAL_H

#include <libpq-fe.h>

#include "ark/error.h"

#define ARK_PQ_FUNCTIONS(X) \
	X(PQcancel) \
	X(PQclear) \
	X(PQcmdTuples) \
	X(PQconnectPoll) \
	X(PQconnectStartParams) \
	X(PQconninfo) \
	X(PQconninfoFree) \
	X(PQconninfoParse) \
	X(PQconsumeInput) \
	X(PQdb) \
	X(PQerrorMessage) \
	X(PQfinish) \
	X(PQflush) \
	X(PQfreeCancel) \
	X(PQfreemem) \
	X(PQgetCancel) \
	X(PQgetCopyData) \
	X(PQgetResult) \
	X(PQgetisnull) \
	X(PQgetlength) \
	X(PQgetvalue) \
	X(PQhost) \
	X(PQisBusy) \
	X(PQnfields) \
	X(PQntuples) \
	X(PQparameterStatus) \
	X(PQport) \
	X(PQputCopyData) \
	X(PQputCopyEnd) \
	X(PQresultErrorField) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsendQuery) \
	X(PQsendQueryParams) \
	X(PQserverVersion) \
	X(PQsetNoticeReceiver) \
	X(PQsocket) \
	X(PQstatus) \
	X(PQtransactionStatus) \
	X(PQuser)

struct ark_pq_api {
#define ARK_PQ_FIELD(name) __typeof__(name) *name;
	ARK_PQ_FUNCTIONS(ARK_PQ_FIELD)
#undef ARK_PQ_FIELD
};

extern struct ark_pq_api ark_pq_api;

/*
 * Open libpq (once per process; thread-safe).  0, or ARK_ERR_PG_CONNECT
 * saying that libpq.so.5 cannot be loaded and what to install; err may
 * be NULL.
 */
int ark_pq_load(struct ark_error *err);

#ifndef ARK_PQ_DEFINE_TABLE
#define PQcancel (ark_pq_api.PQcancel)
#define PQclear (ark_pq_api.PQclear)
#define PQcmdTuples (ark_pq_api.PQcmdTuples)
#define PQconnectPoll (ark_pq_api.PQconnectPoll)
#define PQconnectStartParams (ark_pq_api.PQconnectStartParams)
#define PQconninfo (ark_pq_api.PQconninfo)
#define PQconninfoFree (ark_pq_api.PQconninfoFree)
#define PQconninfoParse (ark_pq_api.PQconninfoParse)
#define PQconsumeInput (ark_pq_api.PQconsumeInput)
#define PQdb (ark_pq_api.PQdb)
#define PQerrorMessage (ark_pq_api.PQerrorMessage)
#define PQfinish (ark_pq_api.PQfinish)
#define PQflush (ark_pq_api.PQflush)
#define PQfreeCancel (ark_pq_api.PQfreeCancel)
#define PQfreemem (ark_pq_api.PQfreemem)
#define PQgetCancel (ark_pq_api.PQgetCancel)
#define PQgetCopyData (ark_pq_api.PQgetCopyData)
#define PQgetResult (ark_pq_api.PQgetResult)
#define PQgetisnull (ark_pq_api.PQgetisnull)
#define PQgetlength (ark_pq_api.PQgetlength)
#define PQgetvalue (ark_pq_api.PQgetvalue)
#define PQhost (ark_pq_api.PQhost)
#define PQisBusy (ark_pq_api.PQisBusy)
#define PQnfields (ark_pq_api.PQnfields)
#define PQntuples (ark_pq_api.PQntuples)
#define PQparameterStatus (ark_pq_api.PQparameterStatus)
#define PQport (ark_pq_api.PQport)
#define PQputCopyData (ark_pq_api.PQputCopyData)
#define PQputCopyEnd (ark_pq_api.PQputCopyEnd)
#define PQresultErrorField (ark_pq_api.PQresultErrorField)
#define PQresultErrorMessage (ark_pq_api.PQresultErrorMessage)
#define PQresultStatus (ark_pq_api.PQresultStatus)
#define PQsendQuery (ark_pq_api.PQsendQuery)
#define PQsendQueryParams (ark_pq_api.PQsendQueryParams)
#define PQserverVersion (ark_pq_api.PQserverVersion)
#define PQsetNoticeReceiver (ark_pq_api.PQsetNoticeReceiver)
#define PQsocket (ark_pq_api.PQsocket)
#define PQstatus (ark_pq_api.PQstatus)
#define PQtransactionStatus (ark_pq_api.PQtransactionStatus)
#define PQuser (ark_pq_api.PQuser)
#endif

#endif
