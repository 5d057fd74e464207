%% RabbitMQ's HTTP auth backend, minus one bug of RabbitMQ 3.12-4.0: for a certificate
%% login the MQTT plugin passes the password as the atom `none`, and the HTTP backend
%% sends it as the string "password=none", which the platform cannot tell from a device
%% that typed "none" as its password. Fixed upstream in 4.1 (rabbitmq-server#13408);
%% until then, this wrapper drops the atom and delegates everything else unchanged.
%% Compiled by infra/broker.sh into the node's folder; see docs/broker.md.
-module(rabbit_auth_backend_http_certlogin).
%% An authn and authz backend (rabbit_authn_backend, rabbit_authz_backend; not declared,
%% as their definitions are not on the compiler's path).

-export([description/0, user_login_authentication/2, user_login_authorization/2,
         check_vhost_access/3, check_resource_access/4, check_topic_access/4,
         expiry_timestamp/1]).

-define(HTTP, rabbit_auth_backend_http).

description() ->
    [{name, <<"HTTP (certificate logins without a password)">>},
     {description, <<"rabbit_auth_backend_http without the atom password of certificate logins">>}].

user_login_authentication(Username, AuthProps) ->
    ?HTTP:user_login_authentication(Username, without_atom_password(AuthProps)).

user_login_authorization(Username, AuthProps) ->
    ?HTTP:user_login_authorization(Username, without_atom_password(AuthProps)).

check_vhost_access(User, VHost, AuthzData) ->
    ?HTTP:check_vhost_access(User, VHost, AuthzData).

check_resource_access(User, Resource, Permission, Context) ->
    ?HTTP:check_resource_access(User, Resource, Permission, Context).

check_topic_access(User, Resource, Permission, Context) ->
    ?HTTP:check_topic_access(User, Resource, Permission, Context).

expiry_timestamp(_User) ->
    never.

%% Only the atom: a password typed by a client is a binary, even <<"none">>.
without_atom_password(AuthProps) ->
    [Prop || Prop <- AuthProps, Prop =/= {password, none}].
