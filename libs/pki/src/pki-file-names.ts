/** File names inside the certs directory. RabbitMQ and the gateway are configured with these. */
export const PKI_FILE_NAMES = {
  caCert: 'rootca.pem',
  caKey: 'rootca_pkey.pem',
  serverCert: 'server_cert.pem',
  serverKey: 'server_pkey.pem',
} as const;
